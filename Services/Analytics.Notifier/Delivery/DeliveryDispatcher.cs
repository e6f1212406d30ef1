using System.Diagnostics;
using System.Text.Json;
using Analytics.Consumers;
using Analytics.Data.Notifications;
using Analytics.EventLog;
using Analytics.Notifier.Channels;
using Analytics.Notifier.Decisions;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Notifier.Delivery;

/// <summary>
/// Sends what the delivery log says is due, one attempt per delivery at a time, and records every
/// attempt. A failure is retried after an exponential, jittered backoff stored with the delivery;
/// after <c>Notifier:MaxAttempts</c> the delivery is a dead letter. A dead letter someone redelivers
/// gets a fresh round: the attempts and the backoff count from its start. A delivery is leased for the
/// length of one attempt, so a notifier that stops mid-attempt leaves it to be retried, with the
/// same idempotency key, once the lease runs out. Woken by NOTIFY when something becomes due, and
/// by its own clock for retries and digests.
/// </summary>
public sealed partial class DeliveryDispatcher(
    NpgsqlDataSource dataSource,
    IOptions<NotifierSettings> options,
    IEnumerable<INotificationChannel> channels,
    NotifierMetrics metrics,
    TimeProvider clock,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    /// <summary>Re-check after this long without a notification, in case the listening connection died quietly.</summary>
    private static readonly TimeSpan IdleRecheck = TimeSpan.FromSeconds(10);

    /// <summary>Slack between the longest attempt and its lease, so a slow attempt is not retried while it still runs.</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(5);

    private readonly Dictionary<NotificationChannel, INotificationChannel> _channels = channels.ToDictionary(c => c.Channel);

    // Attempts under way when it fails keep their leases and are retried when those run out.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ConsumerRestarts.RunAsync(RunAsync, (e, backoff) => LogRestart(e, backoff.TotalSeconds), clock, stoppingToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var lease = TimeSpan.FromSeconds(Math.Max(settings.WebhookTimeoutSeconds, settings.Smtp.TimeoutSeconds)) + LeaseMargin;
        await using var listener = await dataSource.OpenConnectionAsync(cancellationToken);
        await DeliveryStore.ListenAsync(listener, cancellationToken);
        while (true)
        {
            var now = clock.GetUtcNow();
            var claimed = await DeliveryStore.ClaimAsync(
                dataSource, now, now + lease, settings.MaxConcurrentDeliveries, TimeSpan.FromSeconds(settings.QuotaWindowSeconds), cancellationToken);
            if (claimed.Count > 0)
            {
                await Task.WhenAll(claimed.Select(delivery => AttemptAsync(delivery, settings, cancellationToken)));
                continue;
            }
            // Notifications that arrived since the claim are buffered, so none is lost before this wait.
            var wait = await DeliveryStore.NextDueAsync(dataSource, cancellationToken) is { } due ? due - clock.GetUtcNow() : IdleRecheck;
            if (wait > TimeSpan.Zero)
            {
                await listener.WaitForNotificationAsync(wait < IdleRecheck ? wait : IdleRecheck, cancellationToken);
            }
        }
    }

    private async Task AttemptAsync(ClaimedDelivery delivery, NotifierSettings settings, CancellationToken cancellationToken)
    {
        using var activity = StartSend(delivery);
        var (outcome, result, channel) = await SendAsync(delivery, cancellationToken);
        var finished = clock.GetUtcNow();
        activity?.SetTag("analytics.outcome", outcome.ToString());
        activity?.SetTag("http.response.status_code", result.HttpStatus);
        if (result.Sent)
        {
            await DeliveryStore.CompleteAsync(dataSource, delivery.DeliveryId, delivery.Attempt, AttemptOutcome.Sent, finished,
                result.HttpStatus, null, DeliveryStatus.Sent, null, null, CancellationToken.None);
            metrics.Attempted(channel, AttemptOutcome.Sent);
            LogSent(delivery.DeliveryId, delivery.Attempt);
            return;
        }

        activity?.SetStatus(ActivityStatusCode.Error, result.Error);
        if (outcome == AttemptOutcome.Failed || delivery.AttemptInRound >= settings.MaxAttempts)
        {
            var why = outcome == AttemptOutcome.Failed ? $"not sent: {result.Error}" : $"gave up after {delivery.AttemptInRound} attempt(s), the last: {result.Error}";
            await DeliveryStore.CompleteAsync(dataSource, delivery.DeliveryId, delivery.Attempt, AttemptOutcome.Failed, finished,
                result.HttpStatus, result.Error, DeliveryStatus.DeadLetter, null, why, CancellationToken.None);
            metrics.Attempted(channel, AttemptOutcome.Failed);
            LogDeadLetter(delivery.DeliveryId, delivery.Attempt, result.Error);
            return;
        }

        var delay = Backoff.AfterFailures(delivery.AttemptInRound, settings.InitialBackoffSeconds, settings.MaxBackoffSeconds, Random.Shared);
        // A receiver that says when to come back is obeyed, within the same upper bound.
        if (result.RetryAfter is { } wish && wish > delay)
        {
            delay = TimeSpan.FromSeconds(Math.Min(wish.TotalSeconds, settings.MaxBackoffSeconds));
        }
        await DeliveryStore.CompleteAsync(dataSource, delivery.DeliveryId, delivery.Attempt, AttemptOutcome.Retried, finished,
            result.HttpStatus, result.Error, DeliveryStatus.Retrying, finished + delay, null, CancellationToken.None);
        metrics.Attempted(channel, AttemptOutcome.Retried);
        LogRetrying(delivery.DeliveryId, delivery.Attempt, delay.TotalSeconds, result.Error);
    }

    /// <returns><see cref="AttemptOutcome.Failed"/> when no retry can help (the rule is gone), otherwise how the channel answered.</returns>
    private async Task<(AttemptOutcome Outcome, SendResult Result, NotificationChannel? Channel)> SendAsync(ClaimedDelivery delivery, CancellationToken cancellationToken)
    {
        if (await NotificationRuleStore.WithSecretAsync(dataSource, delivery.OrgId, delivery.RuleId, cancellationToken) is not var (rule, secret))
        {
            return (AttemptOutcome.Failed, new SendResult(false, Error: $"rule {delivery.RuleId} was deleted"), null);
        }
        var message = new NotificationMessage
        {
            Kind = delivery.Kind,
            Test = delivery.Test,
            DeliveryId = delivery.DeliveryId,
            IdempotencyKey = delivery.IdempotencyKey,
            OrgId = delivery.OrgId,
            RuleId = delivery.RuleId,
            Transition = delivery.Transition,
            EventVersion = delivery.EventVersion,
            Incident = delivery.Kind == DeliveryKind.Notification ? JsonSerializer.Deserialize(delivery.Payload!, AnalyticsJsonContext.Default.Incident) : null,
            Digest = delivery.Kind == DeliveryKind.Digest ? JsonSerializer.Deserialize(delivery.Payload!, AnalyticsJsonContext.Default.NotificationDigest) : null,
            SentAt = TruncateToSeconds(clock.GetUtcNow()),
            SchemaVersion = EventTypes.CurrentVersion.NotificationMessage,
        };
        try
        {
            var result = await _channels[rule.Channel].SendAsync(new Outgoing(rule, secret, message), cancellationToken);
            return (result.Sent ? AttemptOutcome.Sent : AttemptOutcome.Retried, result, rule.Channel);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A message the channel cannot even build or send (a malformed address, an unexpected
            // library failure) is recorded as a failed attempt instead of failing every delivery
            // of the batch over and over.
            return (AttemptOutcome.Retried, new SendResult(false, Error: $"{e.GetType().Name}: {e.Message}"), rule.Channel);
        }
    }

    /// <summary>
    /// The send span, linked to the trace that caused the incident change, so a trace reads from
    /// the edge request through the signal and the incident to the notification; the HTTP call is
    /// its child and carries it to the receiver in <c>traceparent</c>.
    /// </summary>
    private static Activity? StartSend(ClaimedDelivery delivery)
    {
        ActivityLink[] links = delivery.TraceParent is { } parent && ActivityContext.TryParse(parent, delivery.TraceState, out var cause)
            ? [new ActivityLink(cause)]
            : [];
        var activity = Telemetry.ActivitySource.StartActivity("send notification", ActivityKind.Producer, parentContext: default, links: links);
        activity?.SetTag("analytics.delivery_id", delivery.DeliveryId);
        activity?.SetTag("analytics.incident_id", delivery.IncidentId);
        activity?.SetTag("analytics.rule_id", delivery.RuleId);
        activity?.SetTag("analytics.attempt", delivery.Attempt);
        activity?.SetTag("analytics.test", delivery.Test);
        return activity;
    }

    // The signed timestamp is whole seconds; the body says the same instant.
    private static DateTimeOffset TruncateToSeconds(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery {DeliveryId} sent on attempt {Attempt}")]
    private partial void LogSent(string deliveryId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {DeliveryId} attempt {Attempt} failed, retrying in {Seconds:0.0} s: {Error}")]
    private partial void LogRetrying(string deliveryId, int attempt, double seconds, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery {DeliveryId} is a dead letter after attempt {Attempt}: {Error}")]
    private partial void LogDeadLetter(string deliveryId, int attempt, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The dispatcher failed and restarts in {Seconds} s")]
    private partial void LogRestart(Exception error, double seconds);
}
