using System.Text.Json.Serialization;
using Analytics.Schemas.Contracts;
using Dapper;
using Npgsql;

namespace Analytics.Data.Notifications;

/// <summary>What someone asked the notifier to do.</summary>
public enum NotificationRequestKind
{
    /// <summary>Send a test message through a rule.</summary>
    [JsonStringEnumMemberName("test")] Test,

    /// <summary>Give a dead letter a fresh round of attempts.</summary>
    [JsonStringEnumMemberName("redelivery")] Redelivery,
}

/// <summary>
/// An open request the notifier has taken, locked until its transaction ends. A test names the
/// rule to send through and the id its new delivery gets; a redelivery names the dead letter and
/// the attempts it had when the request was accepted.
/// </summary>
public sealed record ClaimedRequest(
    Guid RequestId,
    string OrgId,
    NotificationRequestKind Kind,
    string? RuleId,
    string DeliveryId,
    int? AttemptsSeen,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    string? TraceParent,
    string? TraceState);

/// <summary>Who asked for a test message the notifier has not taken yet, and when.</summary>
public sealed record RequestedTest(string DeliveryId, string RuleId, string RequestedBy, DateTimeOffset RequestedAt)
{
    /// <summary>
    /// The test as the delivery log will show it once the notifier takes it: pending, no attempt
    /// yet. So the <c>Location</c> the API answers with reads at once, not 404 until the notifier
    /// has caught up.
    /// </summary>
    public Delivery AsPendingDelivery(string orgId, NotificationChannel? channel) => new()
    {
        DeliveryId = DeliveryId,
        OrgId = orgId,
        Kind = DeliveryKind.Notification,
        Test = true,
        Status = DeliveryStatus.Pending,
        Reason = NotificationRequestStore.TestReason(RuleId, RequestedBy) + "; the notifier has not taken it yet",
        RuleId = RuleId,
        Channel = channel,
        DecidedAt = RequestedAt,
        Attempts = [],
    };
}

/// <summary>
/// The owner of <c>notification_requests</c> (migration 0024): what people ask of the notifier,
/// which alone sends and alone writes the delivery log. The API records a request in the caller's
/// transaction, beside its audit event; the notifier takes open requests with <c>SKIP LOCKED</c>
/// and marks each done in the transaction that carries it out, so each is carried out once.
/// </summary>
public static class NotificationRequestStore
{
    /// <summary>NOTIFY channel that wakes the notifier when a request commits.</summary>
    public const string Channel = "notification_requests";

    /// <summary>Delivery ids of tests: chosen by the API, so its answer can name the delivery before the notifier writes it.</summary>
    public const string TestDeliveryIdPrefix = "dlv-";

    /// <summary>Why a test's delivery exists, the same in the API's pending view and in the notifier's row.</summary>
    public static string TestReason(string ruleId, string requestedBy) => $"test message of rule {ruleId}, asked for by {requestedBy}";

    // ---- the API, in the caller's transaction ----

    /// <summary>Asks for a test message of rule <paramref name="ruleId"/>; the notifier is woken once the caller commits.</summary>
    /// <returns>The id of the delivery that will record it.</returns>
    public static async Task<string> RequestTestAsync(
        NpgsqlConnection connection, string orgId, string ruleId, string actor, string? traceParent, string? traceState, CancellationToken cancellationToken)
    {
        var requestId = Guid.CreateVersion7();
        var deliveryId = TestDeliveryIdPrefix + requestId.ToString("N");
        await InsertAsync(connection, requestId, orgId, NotificationRequestKind.Test, ruleId, deliveryId, null, actor, traceParent, traceState, cancellationToken);
        return deliveryId;
    }

    /// <summary>
    /// Asks for a fresh round of attempts for the dead letter <paramref name="deliveryId"/>, which
    /// has <paramref name="attemptsSeen"/> attempts now; the notifier is woken once the caller commits.
    /// </summary>
    /// <returns>False when a request for it is open already (nothing is written).</returns>
    public static Task<bool> RequestRedeliveryAsync(
        NpgsqlConnection connection, string orgId, string deliveryId, int attemptsSeen, string actor, string? traceParent, string? traceState,
        CancellationToken cancellationToken) =>
        InsertAsync(connection, Guid.CreateVersion7(), orgId, NotificationRequestKind.Redelivery, null, deliveryId, attemptsSeen, actor, traceParent, traceState, cancellationToken);

    /// <summary>A test of the organization's the notifier has not taken yet; null when there is none.</summary>
    public static async Task<RequestedTest?> OpenTestAsync(NpgsqlConnection connection, string orgId, string deliveryId, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<RequestRow>(new CommandDefinition(
            $"""
            SELECT request_id, org_id, kind, rule_id, delivery_id, attempts_seen, requested_by, requested_at, trace_parent, trace_state
            FROM notification_requests
            WHERE org_id = @orgId AND delivery_id = @deliveryId AND kind = {SqlWords.Literal(NotificationRequestKind.Test)} AND done_at IS NULL
            """,
            new { orgId, deliveryId }, cancellationToken: cancellationToken));
        return row is null ? null : new RequestedTest(row.DeliveryId, row.RuleId!, row.RequestedBy, row.RequestedAt);
    }

    private static async Task<bool> InsertAsync(
        NpgsqlConnection connection, Guid requestId, string orgId, NotificationRequestKind kind, string? ruleId, string deliveryId, int? attemptsSeen,
        string actor, string? traceParent, string? traceState, CancellationToken cancellationToken)
    {
        // ON CONFLICT: the open request of the same delivery (the partial unique index); its row
        // says who asked first. Nothing else can conflict, so nothing else is swallowed.
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO notification_requests (request_id, org_id, kind, rule_id, delivery_id, attempts_seen, requested_by, trace_parent, trace_state)
            VALUES (@requestId, @orgId, @kind, @ruleId, @deliveryId, @attemptsSeen, @actor, @traceParent, @traceState)
            ON CONFLICT (delivery_id) WHERE done_at IS NULL DO NOTHING
            """,
            new { requestId, orgId, kind = Wire.Name(kind), ruleId, deliveryId, attemptsSeen, actor, traceParent, traceState },
            cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return false;
        }
        await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_notify('{Channel}', '')", cancellationToken: cancellationToken));
        return true;
    }

    // ---- the notifier ----

    /// <summary>Subscribes <paramref name="listener"/> to <see cref="Channel"/>; wait with <c>WaitForNotificationAsync</c>.</summary>
    public static Task ListenAsync(NpgsqlConnection listener, CancellationToken cancellationToken) =>
        listener.ExecuteAsync(new CommandDefinition($"LISTEN {Channel}", cancellationToken: cancellationToken));

    /// <summary>
    /// Takes up to <paramref name="limit"/> open requests, oldest first, locked until the caller's
    /// transaction ends; other notifiers skip them. The caller carries each out and marks it done
    /// (<see cref="CompleteAsync"/>) in that same transaction.
    /// </summary>
    public static async Task<List<ClaimedRequest>> ClaimAsync(NpgsqlConnection connection, int limit, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<RequestRow>(new CommandDefinition(
            """
            SELECT request_id, org_id, kind, rule_id, delivery_id, attempts_seen, requested_by, requested_at, trace_parent, trace_state
            FROM notification_requests WHERE done_at IS NULL
            ORDER BY requested_at
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """,
            new { limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToClaimed())];
    }

    /// <summary>Marks a claimed request done, saying in words what came of it.</summary>
    public static Task CompleteAsync(NpgsqlConnection connection, Guid requestId, DateTimeOffset doneAt, string outcome, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE notification_requests SET done_at = @doneAt, outcome = @outcome WHERE request_id = @requestId",
            new { requestId, doneAt, outcome }, cancellationToken: cancellationToken));

    private sealed record RequestRow
    {
        public Guid RequestId { get; init; }
        public string OrgId { get; init; } = "";
        public string Kind { get; init; } = "";
        public string? RuleId { get; init; }
        public string DeliveryId { get; init; } = "";
        public int? AttemptsSeen { get; init; }
        public string RequestedBy { get; init; } = "";
        public DateTimeOffset RequestedAt { get; init; }
        public string? TraceParent { get; init; }
        public string? TraceState { get; init; }

        public ClaimedRequest ToClaimed() => new(
            RequestId, OrgId, Wire.Parse<NotificationRequestKind>(Kind), RuleId, DeliveryId, AttemptsSeen, RequestedBy, RequestedAt, TraceParent, TraceState);
    }
}

/// <summary>Which deliveries may be sent round again: only dead letters, which nothing else will try again.</summary>
public static class Redelivery
{
    /// <summary>Why <paramref name="delivery"/> cannot be redelivered, in words for a 409; null when it can.</summary>
    public static string? Refusal(Delivery delivery) => delivery.Status switch
    {
        DeliveryStatus.DeadLetter => null,
        DeliveryStatus.Pending or DeliveryStatus.Retrying =>
            $"Delivery {delivery.DeliveryId} is {Wire.Name(delivery.Status)}: its attempts go on by themselves. Only a dead letter can be redelivered.",
        DeliveryStatus.Sent => $"Delivery {delivery.DeliveryId} was sent: the receiver has it. Only a dead letter can be redelivered.",
        _ => $"Delivery {delivery.DeliveryId} is {Wire.Name(delivery.Status)}: nothing was to be sent. Only a dead letter can be redelivered.",
    };
}
