using System.Diagnostics.Metrics;
using Analytics.Schemas.Contracts;

namespace Analytics.Notifier.Delivery;

/// <summary>Counters on the platform meter, so a dashboard shows the delivery log's shape without querying it.</summary>
public sealed class NotifierMetrics
{
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _attempts;

    public NotifierMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(Telemetry.MeterName);
        _decisions = meter.CreateCounter<long>("analytics.notifier.decisions", "{decision}", "Notification decisions written to the delivery log, by status.");
        _attempts = meter.CreateCounter<long>("analytics.notifier.attempts", "{attempt}", "Delivery attempts finished, by channel and outcome.");
    }

    public void Decided(DeliveryStatus status) => _decisions.Add(1, new KeyValuePair<string, object?>("status", Wire.Name(status)));

    public void Attempted(NotificationChannel? channel, AttemptOutcome outcome) => _attempts.Add(
        1,
        new KeyValuePair<string, object?>("channel", channel is { } c ? Wire.Name(c) : "none"),
        new KeyValuePair<string, object?>("outcome", Wire.Name(outcome)));
}
