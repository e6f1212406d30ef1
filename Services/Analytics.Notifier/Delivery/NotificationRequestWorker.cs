using Analytics.Consumers;
using Analytics.Data.Notifications;
using Analytics.EventLog;
using Analytics.Notifier.Decisions;
using Npgsql;

namespace Analytics.Notifier.Delivery;

/// <summary>
/// Carries out what people ask through the API (a test message of a rule, a redelivery of a dead
/// letter) by turning each request into delivery-log state, which the dispatcher then sends as it
/// sends everything: with its retries, leases and idempotency keys. The requests it takes, what it
/// writes for them and their being done commit in one transaction, so each request is carried out
/// exactly once, however often the notifier stops; several notifiers skip each other's requests.
/// Woken by NOTIFY when a request commits; a slow safety poll covers a listening connection that
/// died quietly.
/// </summary>
public sealed partial class NotificationRequestWorker(
    NpgsqlDataSource dataSource,
    TimeProvider clock,
    ILogger<NotificationRequestWorker> logger) : BackgroundService
{
    /// <summary>Not in the latency path: a committed request wakes the worker at once.</summary>
    private static readonly TimeSpan SafetyPoll = TimeSpan.FromSeconds(30);

    /// <summary>Requests carried out per transaction; people's clicks, so a batch is seldom more than one.</summary>
    private const int BatchSize = 50;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ConsumerRestarts.RunAsync(RunAsync, (e, backoff) => LogRestart(e, backoff.TotalSeconds), clock, stoppingToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var listener = await dataSource.OpenConnectionAsync(cancellationToken);
        await NotificationRequestStore.ListenAsync(listener, cancellationToken);
        while (true)
        {
            // Listening before the first look, so a request that commits in between still wakes us.
            if (await CarryOutAsync(cancellationToken) > 0)
            {
                continue;
            }
            await listener.WaitForNotificationAsync(SafetyPoll, cancellationToken);
        }
    }

    /// <returns>How many requests were carried out.</returns>
    private async Task<int> CarryOutAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var requests = await NotificationRequestStore.ClaimAsync(connection, BatchSize, cancellationToken);
        if (requests.Count == 0)
        {
            return 0;
        }
        var now = clock.GetUtcNow();
        foreach (var request in requests)
        {
            var outcome = request.Kind switch
            {
                NotificationRequestKind.Test => await TestAsync(connection, request, now, cancellationToken),
                _ => await RedeliverAsync(connection, request, now, cancellationToken),
            };
            await NotificationRequestStore.CompleteAsync(connection, request.RequestId, now, outcome, cancellationToken);
            LogCarriedOut(request.Kind, request.DeliveryId, outcome);
        }
        await transaction.CommitAsync(cancellationToken);
        return requests.Count;
    }

    private static async Task<string> TestAsync(NpgsqlConnection connection, ClaimedRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rule = await NotificationRuleStore.GetAsync(connection, request.OrgId, request.RuleId!, cancellationToken);
        var delivery = TestMessages.Delivery(request, rule, now);
        await DeliveryStore.InsertTestAsync(connection, delivery, cancellationToken);
        return rule is null ? "not sent: the rule was deleted" : "queued";
    }

    private static async Task<string> RedeliverAsync(NpgsqlConnection connection, ClaimedRequest request, DateTimeOffset now, CancellationToken cancellationToken) =>
        await DeliveryStore.RedeliverAsync(connection, request.OrgId, request.DeliveryId, request.AttemptsSeen!.Value, now,
            $"redelivered at the request of {request.RequestedBy}", cancellationToken)
            ? "redelivering"
            // Another request revived it first (it is no longer the dead letter this one saw); that
            // round is the one asked for, so this request adds nothing.
            : "not redelivered: it was no longer the dead letter the request saw";

    [LoggerMessage(Level = LogLevel.Information, Message = "Request of a {Kind} for delivery {DeliveryId}: {Outcome}")]
    private partial void LogCarriedOut(NotificationRequestKind kind, string deliveryId, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The request worker failed and restarts in {Seconds} s")]
    private partial void LogRestart(Exception error, double seconds);
}
