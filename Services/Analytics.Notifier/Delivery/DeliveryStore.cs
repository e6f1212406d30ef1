using System.Text.Json;
using Analytics.Incidents;
using Analytics.Notifier.Decisions;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Notifier.Delivery;

/// <summary>One decision about to be written to the delivery log.</summary>
public sealed record DeliveryRow(
    IncidentEvent Event, Decision Decision, Incident Incident, string? DigestId, DateTimeOffset DecidedAt, string? TraceParent, string? TraceState);

/// <summary>The incidents of a page, each folded through its history, so every change is seen with the state before and after it.</summary>
public sealed class IncidentHistories
{
    private readonly Dictionary<(string OrgId, string IncidentId), List<(IncidentState State, IReadOnlyList<string> SignalIds)>> _versions = [];

    public void Add(IncidentEvent e)
    {
        if (!_versions.TryGetValue((e.OrgId, e.IncidentId), out var versions))
        {
            _versions[(e.OrgId, e.IncidentId)] = versions = [];
        }
        var (previousState, signals) = versions.Count == 0 ? (null, []) : versions[^1];
        var state = IncidentProjection.Apply(previousState, e);
        if (IncidentProjection.SignalIdsOf(e).ToList() is { Count: > 0 } joined)
        {
            signals = [.. signals, .. joined];
        }
        versions.Add((state, signals));
    }

    /// <exception cref="InvalidOperationException">The history does not reach the event.</exception>
    public IncidentChange ChangeAt(IncidentEvent e)
    {
        var versions = Versions(e);
        return new IncidentChange(e, e.Version == 1 ? null : versions[e.Version - 2].State, versions[e.Version - 1].State);
    }

    public IReadOnlyList<string> SignalIdsAt(IncidentEvent e) => Versions(e)[e.Version - 1].SignalIds;

    private List<(IncidentState State, IReadOnlyList<string> SignalIds)> Versions(IncidentEvent e) =>
        _versions.TryGetValue((e.OrgId, e.IncidentId), out var versions) && versions.Count >= e.Version
            ? versions
            : throw new InvalidOperationException($"The history of incident {e.IncidentId} does not reach version {e.Version}");
}

/// <summary>A delivery the dispatcher has taken for one attempt.</summary>
public sealed record ClaimedDelivery(
    string DeliveryId,
    string OrgId,
    DeliveryKind Kind,
    string? IncidentId,
    int? EventVersion,
    IncidentEventType? Transition,
    string RuleId,
    string IdempotencyKey,
    int Attempt,
    string? Payload,
    string? TraceParent,
    string? TraceState,
    DateTimeOffset? WindowStart);

/// <summary>
/// The SQL of the delivery log: what the decisions read and write inside the consumer's
/// transaction, and how the dispatcher takes due deliveries and records their attempts.
/// </summary>
public static class DeliveryStore
{
    /// <summary>NOTIFY channel that wakes the dispatcher when something is due.</summary>
    public const string Channel = "deliveries";

    // What the cooldown counts: notifications that went out or will.
    private const string NotifyingStatuses = "('pending', 'retrying', 'sent', 'dead_letter', 'folded_into_digest')";

    // What the quota counts: notifications sent one by one (a digest is the overflow's single message).
    private const string QuotaStatuses = "('pending', 'retrying', 'sent', 'dead_letter')";

    public static async Task<Dictionary<string, List<NotificationRule>>> RulesAsync(
        NpgsqlConnection connection, string[] orgIds, CancellationToken cancellationToken)
    {
        var rules = new Dictionary<string, List<NotificationRule>>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT document::text FROM notification_rules WHERE org_id = ANY($1) ORDER BY org_id, rule_id", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = orgIds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var rule = JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.NotificationRule)!;
            if (!rules.TryGetValue(rule.OrgId, out var list))
            {
                rules[rule.OrgId] = list = [];
            }
            list.Add(rule);
        }
        return rules;
    }

    /// <summary>The history of every incident in <paramref name="events"/> up to the newest of those events.</summary>
    public static async Task<IncidentHistories> HistoriesAsync(NpgsqlConnection connection, IReadOnlyList<IncidentEvent> events, CancellationToken cancellationToken)
    {
        var upTo = events.GroupBy(e => (e.OrgId, e.IncidentId)).Select(g => (g.Key.OrgId, g.Key.IncidentId, Version: g.Max(e => e.Version))).ToList();
        await using var command = new NpgsqlCommand(
            """
            SELECT e.document::text FROM incident_events e
            JOIN unnest($1::text[], $2::text[], $3::int[]) AS w (org_id, incident_id, up_to)
              ON e.org_id = w.org_id AND e.incident_id = w.incident_id AND e.version <= w.up_to
            ORDER BY e.org_id, e.incident_id, e.version
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = upTo.Select(u => u.OrgId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo.Select(u => u.IncidentId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo.Select(u => u.Version).ToArray() });
        var histories = new IncidentHistories();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            histories.Add(JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.IncidentEvent)!);
        }
        return histories;
    }

    /// <summary>
    /// When each rule last notified about each incident of <paramref name="events"/>, and how many
    /// notifications each of their organizations had in the quota window from <paramref name="windowStart"/>.
    /// </summary>
    public static async Task<NotificationLedger> LedgerAsync(
        NpgsqlConnection connection, IReadOnlyList<IncidentEvent> events, DateTimeOffset windowStart, TimeSpan window, CancellationToken cancellationToken)
    {
        var ledger = new NotificationLedger();
        var incidents = events.Select(e => (e.OrgId, e.IncidentId)).Distinct().ToList();
        var orgIds = incidents.Select(i => i.OrgId).Distinct(StringComparer.Ordinal).ToArray();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    $"""
                    SELECT d.org_id, d.rule_id, d.incident_id, max(d.event_at) FROM deliveries d
                    JOIN unnest($1::text[], $2::text[]) AS i (org_id, incident_id) ON d.org_id = i.org_id AND d.incident_id = i.incident_id
                    WHERE d.kind = 'notification' AND d.rule_id IS NOT NULL AND d.status IN {NotifyingStatuses}
                    GROUP BY d.org_id, d.rule_id, d.incident_id
                    """)
                {
                    Parameters = { new() { Value = incidents.Select(i => i.OrgId).ToArray() }, new() { Value = incidents.Select(i => i.IncidentId).ToArray() } },
                },
                new NpgsqlBatchCommand(
                    $"""
                    SELECT org_id, count(*)::int FROM deliveries
                    WHERE org_id = ANY($1) AND kind = 'notification' AND status IN {QuotaStatuses} AND decided_at >= $2 AND decided_at < $3
                    GROUP BY org_id
                    """)
                {
                    Parameters = { new() { Value = orgIds }, new() { Value = windowStart }, new() { Value = windowStart + window } },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ledger.Notified(new NotificationLedger.Key(reader.GetString(0), reader.GetString(1), reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3));
        }
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ledger.Count(reader.GetString(0), windowStart, reader.GetInt32(1));
        }
        return ledger;
    }

    /// <summary>
    /// The digest of <paramref name="rule"/> for the quota window, created when missing and locked
    /// until the transaction ends. Once the dispatcher has taken a digest it is sealed, so what is
    /// folded later goes into the next window's digest and nothing is ever folded into one sent.
    /// </summary>
    /// <returns>The digest's delivery id.</returns>
    public static async Task<string> OpenDigestAsync(
        NpgsqlConnection connection, NotificationRule rule, DateTimeOffset windowStart, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var start = windowStart; ; start += window)
        {
            var key = DeliveryIds.DigestKey(rule.OrgId, rule.RuleId, start);
            var id = DeliveryIds.DeliveryId(key);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand(
                        """
                        INSERT INTO deliveries (delivery_id, org_id, kind, status, reason, rule_id, channel, idempotency_key, decided_at, window_start, next_attempt_at)
                        VALUES ($1, $2, 'digest', 'pending', $3, $4, $5, $6, $7, $8, $9)
                        ON CONFLICT DO NOTHING
                        """)
                    {
                        Parameters =
                        {
                            new() { Value = id },
                            new() { Value = rule.OrgId },
                            new() { Value = $"notifications of rule {rule.RuleId} over the organization's quota, sent together when the window closes" },
                            new() { Value = rule.RuleId },
                            new() { Value = Wire.Name(rule.Channel) },
                            new() { Value = key },
                            new() { Value = now },
                            new() { Value = start },
                            new() { Value = start + window },
                        },
                    },
                    new NpgsqlBatchCommand("SELECT sealed FROM deliveries WHERE delivery_id = $1 FOR UPDATE") { Parameters = { new() { Value = id } } },
                },
            };
            if (await batch.ExecuteScalarAsync(cancellationToken) is false)
            {
                return id;
            }
        }
    }

    /// <summary>Writes the decisions; those that send something wake the dispatcher once the caller commits.</summary>
    public static async Task InsertAsync(NpgsqlConnection connection, IReadOnlyList<DeliveryRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }
        await using var batch = new NpgsqlBatch(connection);
        foreach (var row in rows)
        {
            var (e, decision, incident, digestId, decidedAt, traceParent, traceState) = row;
            var key = DeliveryIds.NotificationKey(e.OrgId, e.IncidentId, e.Version, decision.Rule?.RuleId);
            var sends = decision.Notifies;
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                """
                INSERT INTO deliveries (delivery_id, org_id, kind, status, reason, incident_id, event_version, transition, event_at, rule_id, channel,
                                        silence_id, digest_id, idempotency_key, decided_at, next_attempt_at, payload, trace_parent, trace_state)
                VALUES ($1, $2, 'notification', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18)
                ON CONFLICT DO NOTHING
                """)
            {
                Parameters =
                {
                    new() { Value = DeliveryIds.DeliveryId(key) },
                    new() { Value = e.OrgId },
                    new() { Value = Wire.Name(decision.Status) },
                    new() { Value = decision.Reason },
                    new() { Value = e.IncidentId },
                    new() { Value = e.Version },
                    new() { Value = Wire.Name(e.Type) },
                    new() { Value = e.At },
                    Text(decision.Rule?.RuleId),
                    Text(decision.Rule is { } rule ? Wire.Name(rule.Channel) : null),
                    Text(decision.SilenceId),
                    Text(digestId),
                    new() { Value = key },
                    new() { Value = decidedAt },
                    new() { Value = decision.Status == DeliveryStatus.Pending ? decidedAt : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    Text(sends ? JsonSerializer.Serialize(incident, AnalyticsJsonContext.Default.Incident) : null),
                    Text(traceParent),
                    Text(traceState),
                },
            });
        }
        if (rows.Any(r => r.Decision.Status == DeliveryStatus.Pending))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', '')"));
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

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
        await using (var command = new NpgsqlCommand(
            """
            WITH due AS (
                SELECT delivery_id FROM deliveries
                WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1
                ORDER BY next_attempt_at
                LIMIT $3
                FOR UPDATE SKIP LOCKED)
            UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = $2, sealed = true
            FROM due WHERE d.delivery_id = due.delivery_id
            RETURNING d.delivery_id, d.org_id, d.kind, d.incident_id, d.event_version, d.transition, d.rule_id, d.idempotency_key,
                      d.attempts, d.payload::text, d.trace_parent, d.trace_state, d.window_start
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = now });
            command.Parameters.Add(new NpgsqlParameter { Value = leaseUntil });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(new ClaimedDelivery(
                    reader.GetString(0),
                    reader.GetString(1),
                    Wire.Parse<DeliveryKind>(reader.GetString(2)),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetInt32(4),
                    reader.IsDBNull(5) ? null : Wire.Parse<IncidentEventType>(reader.GetString(5)),
                    reader.GetString(6),
                    reader.GetString(7),
                    reader.GetInt32(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9),
                    reader.IsDBNull(10) ? null : reader.GetString(10),
                    reader.IsDBNull(11) ? null : reader.GetString(11),
                    reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12)));
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
                new NpgsqlBatchCommand("UPDATE delivery_attempts SET outcome = 'interrupted' WHERE delivery_id = ANY($1) AND outcome = 'in_flight'")
                {
                    Parameters = { new() { Value = claimed.Select(c => c.DeliveryId).ToArray() } },
                },
                new NpgsqlBatchCommand(
                    """
                    INSERT INTO delivery_attempts (org_id, delivery_id, attempt, outcome, started_at)
                    SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::int[]), 'in_flight', $4
                    """)
                {
                    Parameters =
                    {
                        new() { Value = claimed.Select(c => c.OrgId).ToArray() },
                        new() { Value = claimed.Select(c => c.DeliveryId).ToArray() },
                        new() { Value = claimed.Select(c => c.Attempt).ToArray() },
                        new() { Value = now },
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
        var items = new List<DigestItem>();
        await using (var command = new NpgsqlCommand(
            "SELECT delivery_id, incident_id, transition, event_version, event_at, payload::text FROM deliveries WHERE digest_id = $1 ORDER BY decided_at, delivery_id",
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = digestId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var incident = JsonSerializer.Deserialize(reader.GetString(5), AnalyticsJsonContext.Default.Incident)!;
                items.Add(new DigestItem
                {
                    DeliveryId = reader.GetString(0),
                    IncidentId = reader.GetString(1),
                    Transition = Wire.Parse<IncidentEventType>(reader.GetString(2)),
                    EventVersion = reader.GetInt32(3),
                    IncidentKind = incident.Kind,
                    Severity = incident.Severity,
                    SiteId = incident.SiteId,
                    At = reader.GetFieldValue<DateTimeOffset>(4),
                });
            }
        }
        var digest = new NotificationDigest { WindowStart = windowStart, WindowEnd = windowEnd, Items = items };
        var payload = JsonSerializer.Serialize(digest, AnalyticsJsonContext.Default.NotificationDigest);
        await using (var command = new NpgsqlCommand("UPDATE deliveries SET payload = $2::jsonb WHERE delivery_id = $1", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = digestId });
            command.Parameters.Add(new NpgsqlParameter { Value = payload });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return payload;
    }

    /// <summary>The rule as it is now, with its secret: a corrected URL or a rotated secret applies to the next attempt.</summary>
    public static async Task<(NotificationRule Rule, string Secret)?> RuleAsync(
        NpgsqlDataSource dataSource, string orgId, string ruleId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT document::text, signing_secret FROM notification_rules WHERE org_id = $1 AND rule_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = ruleId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.NotificationRule)!, reader.GetString(1))
            : null;
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
            """
            UPDATE deliveries SET status = $3, next_attempt_at = $4, sent_at = CASE WHEN $3 = 'sent' THEN $5 END,
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
        await using var command = dataSource.CreateCommand("SELECT min(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying')");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        // Read as DateTimeOffset explicitly: as an untyped value Npgsql returns timestamptz as DateTime.
        return await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
