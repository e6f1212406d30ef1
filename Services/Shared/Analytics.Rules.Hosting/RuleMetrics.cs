using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Analytics.Rules.Hosting;

/// <summary>What a rule service could not take as sent, on the platform's meter (Prometheus: <c>analytics_rules_*</c>), by consumer.</summary>
internal static class RuleMetrics
{
    private static readonly Meter Meter = new(Telemetry.MeterName);

    public static readonly Counter<long> LateObservations = Meter.CreateCounter<long>(
        "analytics.rules.observations.late", "{observation}",
        "Observations older than their camera's watermark (newest observation less Rules:AllowedLatenessSeconds, or a heartbeat): stored, but not fed to the rules");

    public static readonly Counter<long> AfterIdleClose = Meter.CreateCounter<long>(
        "analytics.rules.observations.after_idle_close", "{observation}",
        "Observations of a backlog that arrived after the idle fallback had closed their camera; the rules took them from a fresh state");

    public static readonly Counter<long> IdleCloses = Meter.CreateCounter<long>(
        "analytics.rules.cameras.idle_closed", "{camera}",
        "Cameras whose open behaviours the idle fallback closed");
}
