using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Data.Notifications;

/// <summary>One notification decision about to be written to the delivery log.</summary>
public sealed record NewDelivery(
    string DeliveryId,
    string IdempotencyKey,
    string OrgId,
    DeliveryStatus Status,
    string Reason,
    string IncidentId,
    int EventVersion,
    IncidentEventType Transition,
    DateTimeOffset EventAt,
    string? RuleId,
    NotificationChannel? Channel,
    string? SilenceId,
    string? DigestId,
    DateTimeOffset DecidedAt,
    string? Payload,
    string? TraceParent,
    string? TraceState);

/// <summary>The digest of one rule for one quota window, sent when the window closes.</summary>
public sealed record NewDigest(
    string DeliveryId,
    string IdempotencyKey,
    string OrgId,
    string RuleId,
    NotificationChannel Channel,
    string Reason,
    DateTimeOffset DecidedAt,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd);

/// <summary>When a rule last notified (or will) about an incident.</summary>
public sealed record LastNotification(string OrgId, string RuleId, string IncidentId, DateTimeOffset EventAt);

/// <summary>What the cooldown and the quota count, as the delivery log has it.</summary>
public sealed record NotificationCounts(IReadOnlyList<LastNotification> LastNotified, IReadOnlyDictionary<string, int> QuotaUsed);

/// <summary>
/// A test message of one rule, about to be written to the delivery log: pending with its sample
/// incident as the payload, or, when the rule is gone, a dead letter that says so.
/// </summary>
public sealed record NewTestDelivery(
    string DeliveryId,
    string IdempotencyKey,
    string OrgId,
    DeliveryStatus Status,
    string Reason,
    string RuleId,
    NotificationChannel? Channel,
    string SampleIncidentId,
    DateTimeOffset DecidedAt,
    string? Payload,
    string? TraceParent,
    string? TraceState);

/// <summary>
/// A delivery the dispatcher has taken for one attempt: <c>Attempt</c> numbers it over the
/// delivery's life (redeliveries go on counting), <c>AttemptInRound</c> from 1 in its round, which
/// is what the retry policy counts.
/// </summary>
public sealed record ClaimedDelivery(
    string DeliveryId,
    string OrgId,
    DeliveryKind Kind,
    bool Test,
    string? IncidentId,
    int? EventVersion,
    IncidentEventType? Transition,
    string RuleId,
    string IdempotencyKey,
    int Attempt,
    int AttemptInRound,
    string? Payload,
    string? TraceParent,
    string? TraceState,
    DateTimeOffset? WindowStart);

/// <summary>What the API's delivery list asks for; null filters match everything.</summary>
public sealed record DeliveryFilter(
    string OrgId, string? IncidentId, string? RuleId, DeliveryStatus? Status, string? DigestId, (DateTimeOffset DecidedAt, string DeliveryId)? After, int Limit);

/// <summary>
/// The owner of the delivery log, <c>deliveries</c> and <c>delivery_attempts</c>: the decisions
/// the notifier writes inside its consumer's transaction, the test messages and redeliveries it
/// carries out for people's requests, the dispatcher's claims and attempts, and the API's reads. The same rows are the outbox the dispatcher sends from. Status and kind columns
/// hold the enums' wire names; the sets of them queries filter by are named here, once. The claim
/// (SKIP LOCKED) and the batched decision insert are hot paths, written by hand.
/// </summary>
public static class DeliveryStore
{
    /// <summary>NOTIFY channel that wakes the dispatcher when something is due.</summary>
    public const string Channel = "deliveries";

    /// <summary>Decided to send and not yet sent: the dispatcher's work (the <c>deliveries_due</c> index's predicate).</summary>
    private static readonly string Due = SqlWords.List(DeliveryStatus.Pending, DeliveryStatus.Retrying);

    /// <summary>
    /// Notifications sent one by one, or to be: what the quota counts (a digest is the overflow's
    /// single message), and the deliveries whose idempotency key a receiver may have seen.
    /// </summary>
    private static readonly DeliveryStatus[] SentOneByOne = [DeliveryStatus.Pending, DeliveryStatus.Retrying, DeliveryStatus.Sent, DeliveryStatus.DeadLetter];

    /// <summary>What the cooldown counts: notifications that went out or will, alone or in a digest.</summary>
    private static readonly string Notifying = SqlWords.List([.. SentOneByOne, DeliveryStatus.FoldedIntoDigest]);

    private static readonly string Notification = SqlWords.Literal(DeliveryKind.Notification);

    private const string Columns =
        "delivery_id, org_id, kind, test, status, reason, incident_id, event_version, transition, event_at, rule_id, channel, silence_id, digest_id, " +
        "idempotency_key, decided_at, next_attempt_at, sent_at, trace_parent";

    // ---- the notifier's decisions, inside its consumer's transaction ----

    /// <summary>
    /// When each rule last notified about each of <paramref name="incidents"/>, and how many
    /// notifications each of their organizations had in the quota window [<paramref name="windowStart"/>, <paramref name="windowEnd"/>).
    /// </summary>
    public static async Task<NotificationCounts> CountsAsync(
        NpgsqlConnection connection, IReadOnlyCollection<(string OrgId, string IncidentId)> incidents,
        DateTimeOffset windowStart, DateTimeOffset windowEnd, CancellationToken cancellationToken)
    {
        var orgIds = incidents.Select(i => i.OrgId).Distinct(StringComparer.Ordinal).ToArray();
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            $"""
            SELECT d.org_id, d.rule_id, d.incident_id, max(d.event_at) AS event_at FROM deliveries d
            JOIN unnest(@incidentOrgIds::text[], @incidentIds::text[]) AS i (org_id, incident_id) ON d.org_id = i.org_id AND d.incident_id = i.incident_id
            WHERE d.kind = {Notification} AND NOT d.test AND d.rule_id IS NOT NULL AND d.status IN {Notifying}
            GROUP BY d.org_id, d.rule_id, d.incident_id;

            SELECT org_id, count(*)::int AS used FROM deliveries
            WHERE org_id = ANY(@orgIds) AND kind = {Notification} AND NOT test AND status IN {SqlWords.List(SentOneByOne)}
              AND decided_at >= @windowStart AND decided_at < @windowEnd
            GROUP BY org_id
            """,
            new
            {
                incidentOrgIds = incidents.Select(i => i.OrgId).ToArray(),
                incidentIds = incidents.Select(i => i.IncidentId).ToArray(),
                orgIds,
                windowStart,
                windowEnd,
            },
            cancellationToken: cancellationToken));
        var lastNotified = (await results.ReadAsync<LastNotifiedRow>())
            .Select(r => new LastNotification(r.OrgId, r.RuleId, r.IncidentId, r.EventAt)).ToList();
        var used = (await results.ReadAsync<QuotaRow>()).ToDictionary(r => r.OrgId, r => r.Used, StringComparer.Ordinal);
        return new NotificationCounts(lastNotified, used);
    }

    /// <summary>
    /// Creates <paramref name="digest"/> when missing and locks it until the transaction ends.
    /// Once the dispatcher has taken a digest it is sealed, so nothing is ever folded into one sent.
    /// </summary>
    /// <returns>Whether it is still open (not sealed): notifications may be folded into it.</returns>
    public static async Task<bool> OpenDigestAsync(NpgsqlConnection connection, NewDigest digest, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    $"""
                    INSERT INTO deliveries (delivery_id, org_id, kind, status, reason, rule_id, channel, idempotency_key, decided_at, window_start, next_attempt_at)
                    VALUES ($1, $2, {SqlWords.Literal(DeliveryKind.Digest)}, {SqlWords.Literal(DeliveryStatus.Pending)}, $3, $4, $5, $6, $7, $8, $9)
                    ON CONFLICT DO NOTHING
                    """)
                {
                    Parameters =
                    {
                        new() { Value = digest.DeliveryId },
                        new() { Value = digest.OrgId },
                        new() { Value = digest.Reason },
                        new() { Value = digest.RuleId },
                        new() { Value = Wire.Name(digest.Channel) },
                        new() { Value = digest.IdempotencyKey },
                        new() { Value = digest.DecidedAt },
                        new() { Value = digest.WindowStart },
                        new() { Value = digest.WindowEnd },
                    },
                },
                new NpgsqlBatchCommand("SELECT sealed FROM deliveries WHERE delivery_id = $1 FOR UPDATE") { Parameters = { new() { Value = digest.DeliveryId } } },
            },
        };
        return await batch.ExecuteScalarAsync(cancellationToken) is false;
    }

    /// <summary>
    /// Writes the decisions in one round trip; an already decided change (same idempotency key) is
    /// left as it is. Those due to be sent wake the dispatcher once the caller commits.
    /// </summary>
    public static async Task InsertAsync(NpgsqlConnection connection, IReadOnlyList<NewDelivery> deliveries, CancellationToken cancellationToken)
    {
        if (deliveries.Count == 0)
        {
            return;
        }
        await using var batch = new NpgsqlBatch(connection);
        foreach (var d in deliveries)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"""
                INSERT INTO deliveries (delivery_id, org_id, kind, status, reason, incident_id, event_version, transition, event_at, rule_id, channel,
                                        silence_id, digest_id, idempotency_key, decided_at, next_attempt_at, payload, trace_parent, trace_state)
                VALUES ($1, $2, {Notification}, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18)
                ON CONFLICT DO NOTHING
                """)
            {
                Parameters =
                {
                    new() { Value = d.DeliveryId },
                    new() { Value = d.OrgId },
                    new() { Value = Wire.Name(d.Status) },
                    new() { Value = d.Reason },
                    new() { Value = d.IncidentId },
                    new() { Value = d.EventVersion },
                    new() { Value = Wire.Name(d.Transition) },
                    new() { Value = d.EventAt },
                    Text(d.RuleId),
                    Text(SqlWords.NameOrNull(d.Channel)),
                    Text(d.SilenceId),
                    Text(d.DigestId),
                    new() { Value = d.IdempotencyKey },
                    new() { Value = d.DecidedAt },
                    // A pending decision is due at once.
                    new() { Value = d.Status == DeliveryStatus.Pending ? d.DecidedAt : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    Text(d.Payload),
                    Text(d.TraceParent),
                    Text(d.TraceState),
                },
            });
        }
        if (deliveries.Any(d => d.Status == DeliveryStatus.Pending))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', '')"));
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    // ---- people's requests, carried out by the notifier (NotificationRequestStore) ----

    /// <summary>
    /// Writes a test message of a rule, inside the caller's transaction; one already written (same
    /// id) is left as it is. A pending one wakes the dispatcher once the caller commits.
    /// </summary>
    public static async Task InsertTestAsync(NpgsqlConnection connection, NewTestDelivery test, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    $"""
                    INSERT INTO deliveries (delivery_id, org_id, kind, test, status, reason, incident_id, event_version, transition, event_at, rule_id, channel,
                                            idempotency_key, decided_at, next_attempt_at, payload, trace_parent, trace_state)
                    VALUES ($1, $2, {Notification}, true, $3, $4, $5, 1, {SqlWords.Literal(IncidentEventType.Opened)}, $6, $7, $8, $9, $6, $10, $11::jsonb, $12, $13)
                    ON CONFLICT DO NOTHING
                    """)
                {
                    Parameters =
                    {
                        new() { Value = test.DeliveryId },
                        new() { Value = test.OrgId },
                        new() { Value = Wire.Name(test.Status) },
                        new() { Value = test.Reason },
                        new() { Value = test.SampleIncidentId },
                        new() { Value = test.DecidedAt },
                        new() { Value = test.RuleId },
                        Text(SqlWords.NameOrNull(test.Channel)),
                        new() { Value = test.IdempotencyKey },
                        new() { Value = test.Status == DeliveryStatus.Pending ? test.DecidedAt : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                        Text(test.Payload),
                        Text(test.TraceParent),
                        Text(test.TraceState),
                    },
                },
                new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', '')"),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Starts a fresh round of attempts for a dead letter, inside the caller's transaction: pending
    /// at once, with the same idempotency key and content, the earlier attempts kept. Only the dead
    /// letter as it was when the redelivery was asked for (<paramref name="attemptsSeen"/>) is
    /// revived: one that another request already sent round again is left alone.
    /// </summary>
    /// <returns>Whether it was redelivered; the dispatcher wakes once the caller commits.</returns>
    public static async Task<bool> RedeliverAsync(
        NpgsqlConnection connection, string orgId, string deliveryId, int attemptsSeen, DateTimeOffset now, string note, CancellationToken cancellationToken)
    {
        var revived = await connection.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE deliveries SET status = {SqlWords.Literal(DeliveryStatus.Pending)}, next_attempt_at = @now, sent_at = NULL,
                                  round = round + 1, attempts_before_round = attempts, reason = reason || '; ' || @note
            WHERE org_id = @orgId AND delivery_id = @deliveryId AND status = {SqlWords.Literal(DeliveryStatus.DeadLetter)} AND attempts = @attemptsSeen
            """,
            new { orgId, deliveryId, attemptsSeen, now, note }, cancellationToken: cancellationToken));
        if (revived > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_notify('{Channel}', '')", cancellationToken: cancellationToken));
        }
        return revived > 0;
    }

    // ---- the dispatcher ----

    /// <summary>Subscribes <paramref name="listener"/> to <see cref="Channel"/>; wait with <c>WaitForNotificationAsync</c>.</summary>
    public static Task ListenAsync(NpgsqlConnection listener, CancellationToken cancellationToken) =>
        listener.ExecuteAsync(new CommandDefinition($"LISTEN {Channel}", cancellationToken: cancellationToken));

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries for one attempt each: counts the
    /// attempt, records it as in flight (and an earlier one still in flight as interrupted: the
    /// notifier stopped during it), and leases the delivery until <paramref name="leaseUntil"/>,
    /// after which another dispatcher may retry it. A digest is sealed and given its items.
    /// </summary>
    public static async Task<List<ClaimedDelivery>> ClaimAsync(
        NpgsqlDataSource dataSource, DateTimeOffset now, DateTimeOffset leaseUntil, int limit, TimeSpan window, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        var rounds = new List<int>();
        await using (var command = new NpgsqlCommand(
            $"""
            WITH due AS (
                SELECT delivery_id FROM deliveries
                WHERE status IN {Due} AND next_attempt_at <= $1
                ORDER BY next_attempt_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = $2, sealed = true
            FROM due WHERE d.delivery_id = due.delivery_id
            RETURNING d.delivery_id, d.org_id, d.kind, d.test, d.incident_id, d.event_version, d.transition, d.rule_id, d.idempotency_key,
                      d.attempts, d.attempts - d.attempts_before_round AS attempt_in_round, d.round,
                      d.payload::text AS payload, d.trace_parent, d.trace_state, d.window_start
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = now });
            command.Parameters.Add(new NpgsqlParameter { Value = leaseUntil });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var parse = reader.GetRowParser<ClaimRow>();
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = parse(reader);
                claimed.Add(row.ToClaimed());
                rounds.Add(row.Round);
            }
        }
        if (claimed.Count == 0)
        {
            return claimed;
        }

        for (var i = 0; i < claimed.Count; i++)
        {
            if (claimed[i] is { Kind: DeliveryKind.Digest, Payload: null, WindowStart: { } start })
            {
                claimed[i] = claimed[i] with { Payload = await SealDigestAsync(connection, claimed[i].DeliveryId, start, start + window, cancellationToken) };
            }
        }

        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    $"UPDATE delivery_attempts SET outcome = {SqlWords.Literal(AttemptOutcome.Interrupted)} WHERE delivery_id = ANY($1) AND outcome = {SqlWords.Literal(AttemptOutcome.InFlight)}")
                {
                    Parameters = { new() { Value = claimed.Select(c => c.DeliveryId).ToArray() } },
                },
                new NpgsqlBatchCommand(
                    $"""
                    INSERT INTO delivery_attempts (org_id, delivery_id, attempt, round, outcome, started_at)
                    SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::int[]), unnest($5::int[]), {SqlWords.Literal(AttemptOutcome.InFlight)}, $4
                    """)
                {
                    Parameters =
                    {
                        new() { Value = claimed.Select(c => c.OrgId).ToArray() },
                        new() { Value = claimed.Select(c => c.DeliveryId).ToArray() },
                        new() { Value = claimed.Select(c => c.Attempt).ToArray() },
                        new() { Value = now },
                        new() { Value = rounds.ToArray() },
                    },
                },
            },
        })
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return claimed;
    }

    /// <summary>Fixes a digest's items, now that it is sealed, so every attempt sends the same ones.</summary>
    private static async Task<string> SealDigestAsync(
        NpgsqlConnection connection, string digestId, DateTimeOffset windowStart, DateTimeOffset windowEnd, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<DigestItemRow>(new CommandDefinition(
            "SELECT delivery_id, incident_id, transition, event_version, event_at, payload::text AS payload FROM deliveries WHERE digest_id = @digestId ORDER BY decided_at, delivery_id",
            new { digestId }, cancellationToken: cancellationToken));
        var items = rows.Select(row =>
        {
            var incident = JsonSerializer.Deserialize(row.Payload, AnalyticsJsonContext.Default.Incident)!;
            return new DigestItem
            {
                DeliveryId = row.DeliveryId,
                IncidentId = row.IncidentId,
                Transition = Wire.Parse<IncidentEventType>(row.Transition),
                EventVersion = row.EventVersion,
                IncidentKind = incident.Kind,
                Severity = incident.Severity,
                SiteId = incident.SiteId,
                At = row.EventAt,
            };
        }).ToList();
        var digest = new NotificationDigest { WindowStart = windowStart, WindowEnd = windowEnd, Items = items };
        var payload = JsonSerializer.Serialize(digest, AnalyticsJsonContext.Default.NotificationDigest);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE deliveries SET payload = @payload::jsonb WHERE delivery_id = @digestId", new { digestId, payload }, cancellationToken: cancellationToken));
        return payload;
    }

    /// <summary>
    /// Records how attempt <paramref name="attempt"/> ended and what the delivery does next. Only
    /// the holder of the latest attempt moves the delivery: one whose lease ran out and was taken
    /// again records its attempt and leaves the delivery to the newer one.
    /// </summary>
    public static async Task CompleteAsync(
        NpgsqlDataSource dataSource, string deliveryId, int attempt, AttemptOutcome outcome, DateTimeOffset finishedAt,
        int? httpStatus, string? error, DeliveryStatus status, DateTimeOffset? nextAttemptAt, string? reasonSuffix, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "UPDATE delivery_attempts SET outcome = $3, finished_at = $4, http_status = $5, error = $6 WHERE delivery_id = $1 AND attempt = $2")
        {
            Parameters =
            {
                new() { Value = deliveryId },
                new() { Value = attempt },
                new() { Value = Wire.Name(outcome) },
                new() { Value = finishedAt },
                new() { Value = (object?)httpStatus ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer },
                Text(error is { Length: > 2000 } ? error[..2000] : error),
            },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            $"""
            UPDATE deliveries SET status = $3, next_attempt_at = $4, sent_at = CASE WHEN $3 = {SqlWords.Literal(DeliveryStatus.Sent)} THEN $5 END,
                                  reason = CASE WHEN $6::text IS NULL THEN reason ELSE reason || '; ' || $6 END
            WHERE delivery_id = $1 AND attempts = $2
            """)
        {
            Parameters =
            {
                new() { Value = deliveryId },
                new() { Value = attempt },
                new() { Value = Wire.Name(status) },
                new() { Value = (object?)nextAttemptAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new() { Value = finishedAt },
                Text(reasonSuffix),
            },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>When the next pending or retrying delivery is due (or its lease runs out); null when none waits.</summary>
    public static async Task<DateTimeOffset?> NextDueAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<NextDueRow>(new CommandDefinition(
            $"SELECT min(next_attempt_at) AS next_attempt_at FROM deliveries WHERE status IN {Due}", cancellationToken: cancellationToken));
        return row.NextAttemptAt;
    }

    // ---- the API ----

    /// <summary>A page of the organization's delivery log, newest decision first, each delivery with its attempts.</summary>
    public static async Task<List<Delivery>> ListAsync(NpgsqlConnection connection, DeliveryFilter filter, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<DeliveryRow>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM deliveries
            WHERE org_id = @orgId AND (@incidentId::text IS NULL OR incident_id = @incidentId) AND (@ruleId::text IS NULL OR rule_id = @ruleId)
              AND (@status::text IS NULL OR status = @status) AND (@digestId::text IS NULL OR digest_id = @digestId)
              AND (@afterDecidedAt::timestamptz IS NULL OR (decided_at, delivery_id) < (@afterDecidedAt, @afterId))
            ORDER BY decided_at DESC, delivery_id DESC
            LIMIT @limit
            """,
            new
            {
                orgId = filter.OrgId,
                incidentId = filter.IncidentId,
                ruleId = filter.RuleId,
                status = SqlWords.NameOrNull(filter.Status),
                digestId = filter.DigestId,
                afterDecidedAt = filter.After?.DecidedAt,
                afterId = filter.After?.DeliveryId,
                limit = filter.Limit,
            },
            cancellationToken: cancellationToken));
        return await WithAttemptsAsync(connection, filter.OrgId, [.. rows], cancellationToken);
    }

    /// <summary>One delivery of the organization with its attempts; null when there is none.</summary>
    public static async Task<Delivery?> GetAsync(NpgsqlConnection connection, string orgId, string deliveryId, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<DeliveryRow>(new CommandDefinition(
            $"SELECT {Columns} FROM deliveries WHERE org_id = @orgId AND delivery_id = @deliveryId", new { orgId, deliveryId }, cancellationToken: cancellationToken));
        var items = await WithAttemptsAsync(connection, orgId, [.. rows], cancellationToken);
        return items.Count == 1 ? items[0] : null;
    }

    private static async Task<List<Delivery>> WithAttemptsAsync(NpgsqlConnection connection, string orgId, List<DeliveryRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return [];
        }
        var attempts = (await connection.QueryAsync<AttemptRow>(new CommandDefinition(
                """
                SELECT delivery_id, attempt, round, outcome, started_at, finished_at, http_status, error FROM delivery_attempts
                WHERE org_id = @orgId AND delivery_id = ANY(@deliveryIds) ORDER BY delivery_id, attempt
                """,
                new { orgId, deliveryIds = rows.Select(r => r.DeliveryId).ToArray() }, cancellationToken: cancellationToken)))
            .GroupBy(a => a.DeliveryId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(a => a.ToContract()).ToList(), StringComparer.Ordinal);
        return [.. rows.Select(r => r.ToContract(attempts.TryGetValue(r.DeliveryId, out var list) ? list : []))];
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static TEnum? ParseOrNull<TEnum>(string? value)
        where TEnum : struct, Enum =>
        value is null ? null : Wire.Parse<TEnum>(value);

    private sealed record LastNotifiedRow
    {
        public string OrgId { get; init; } = "";
        public string RuleId { get; init; } = "";
        public string IncidentId { get; init; } = "";
        public DateTimeOffset EventAt { get; init; }
    }

    private sealed record QuotaRow
    {
        public string OrgId { get; init; } = "";
        public int Used { get; init; }
    }

    private sealed record NextDueRow
    {
        public DateTimeOffset? NextAttemptAt { get; init; }
    }

    private sealed record ClaimRow
    {
        public string DeliveryId { get; init; } = "";
        public string OrgId { get; init; } = "";
        public string Kind { get; init; } = "";
        public bool Test { get; init; }
        public string? IncidentId { get; init; }
        public int? EventVersion { get; init; }
        public string? Transition { get; init; }
        public string RuleId { get; init; } = "";
        public string IdempotencyKey { get; init; } = "";
        public int Attempts { get; init; }
        public int AttemptInRound { get; init; }
        public int Round { get; init; }
        public string? Payload { get; init; }
        public string? TraceParent { get; init; }
        public string? TraceState { get; init; }
        public DateTimeOffset? WindowStart { get; init; }

        public ClaimedDelivery ToClaimed() => new(
            DeliveryId, OrgId, Wire.Parse<DeliveryKind>(Kind), Test, IncidentId, EventVersion, ParseOrNull<IncidentEventType>(Transition),
            RuleId, IdempotencyKey, Attempts, AttemptInRound, Payload, TraceParent, TraceState, WindowStart);
    }

    private sealed record DigestItemRow
    {
        public string DeliveryId { get; init; } = "";
        public string IncidentId { get; init; } = "";
        public string Transition { get; init; } = "";
        public int EventVersion { get; init; }
        public DateTimeOffset EventAt { get; init; }
        public string Payload { get; init; } = "";
    }

    private sealed record DeliveryRow
    {
        public string DeliveryId { get; init; } = "";
        public string OrgId { get; init; } = "";
        public string Kind { get; init; } = "";
        public bool Test { get; init; }
        public string Status { get; init; } = "";
        public string Reason { get; init; } = "";
        public string? IncidentId { get; init; }
        public int? EventVersion { get; init; }
        public string? Transition { get; init; }
        public DateTimeOffset? EventAt { get; init; }
        public string? RuleId { get; init; }
        public string? Channel { get; init; }
        public string? SilenceId { get; init; }
        public string? DigestId { get; init; }
        public string IdempotencyKey { get; init; } = "";
        public DateTimeOffset DecidedAt { get; init; }
        public DateTimeOffset? NextAttemptAt { get; init; }
        public DateTimeOffset? SentAt { get; init; }
        public string? TraceParent { get; init; }

        public Delivery ToContract(IReadOnlyList<DeliveryAttempt> attempts)
        {
            var status = Wire.Parse<DeliveryStatus>(Status);
            return new Delivery
            {
                DeliveryId = DeliveryId,
                OrgId = OrgId,
                Kind = Wire.Parse<DeliveryKind>(Kind),
                Test = Test,
                Status = status,
                Reason = Reason,
                IncidentId = IncidentId,
                EventVersion = EventVersion,
                Transition = ParseOrNull<IncidentEventType>(Transition),
                EventAt = EventAt,
                RuleId = RuleId,
                Channel = ParseOrNull<NotificationChannel>(Channel),
                SilenceId = SilenceId,
                DigestId = DigestId,
                // Nothing is sent for a decision that suppressed it, so its key means nothing to anyone.
                IdempotencyKey = SentOneByOne.Contains(status) ? IdempotencyKey : null,
                DecidedAt = DecidedAt,
                NextAttemptAt = NextAttemptAt,
                SentAt = SentAt,
                TraceParent = TraceParent,
                Attempts = attempts,
            };
        }
    }

    private sealed record AttemptRow
    {
        public string DeliveryId { get; init; } = "";
        public int Attempt { get; init; }
        public int Round { get; init; }
        public string Outcome { get; init; } = "";
        public DateTimeOffset StartedAt { get; init; }
        public DateTimeOffset? FinishedAt { get; init; }
        public int? HttpStatus { get; init; }
        public string? Error { get; init; }

        public DeliveryAttempt ToContract() => new()
        {
            Attempt = Attempt,
            Round = Round,
            Outcome = Wire.Parse<AttemptOutcome>(Outcome),
            StartedAt = StartedAt,
            FinishedAt = FinishedAt,
            HttpStatus = HttpStatus,
            Error = Error,
        };
    }
}
