using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Incidents;

/// <summary>An incident event with the trace of what caused it, so the notifier's span can link to it.</summary>
public sealed record TracedIncidentEvent(IncidentEvent Event, string? TraceParent = null, string? TraceState = null);

/// <summary>
/// Reads and writes incidents inside the caller's transaction: events are appended and the
/// projection rows they change are written in the same commit, so the two never disagree.
/// Readers that will append lock the rows they read (FOR UPDATE), so fusion and an operator
/// acting on the same incident take turns; the (incident, version) key catches anything else.
/// </summary>
public static class IncidentStore
{
    public const string Channel = "incident_events";

    public const string StateColumns =
        "org_id, incident_id, group_key, domain, kind, severity, severity_reason, status, site_id, camera_id, zone_id, " +
        "signal_count, signal_kinds, opened_at, updated_at, last_signal_at, last_activity_at, acknowledged_at, resolved_at, " +
        "resolution, silence_id, annotation, version";

    /// <summary><see cref="StateColumns"/> qualified with a table alias, for queries that join <c>incidents</c>.</summary>
    public static string StateColumnsOf(string alias) => string.Join(", ", StateColumns.Split(", ").Select(column => $"{alias}.{column}"));

    /// <summary>The newest incident of each group, locked until the transaction ends.</summary>
    public static async Task<Dictionary<(string OrgId, string GroupKey), IncidentState>> LoadNewestInGroupsAsync(
        NpgsqlConnection connection, IEnumerable<(string OrgId, string GroupKey)> groups, CancellationToken cancellationToken)
    {
        var result = new Dictionary<(string, string), IncidentState>();
        // Sorted, so two lockers of several groups always lock in the same order.
        var ordered = groups.Distinct().Order().ToList();
        if (ordered.Count == 0)
        {
            return result;
        }
        await using var batch = new NpgsqlBatch(connection);
        foreach (var (orgId, groupKey) in ordered)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                $"SELECT {StateColumns} FROM incidents WHERE org_id = $1 AND group_key = $2 ORDER BY opened_at DESC LIMIT 1 FOR UPDATE")
            {
                Parameters = { new() { Value = orgId }, new() { Value = groupKey } },
            });
        }
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var state = Read(reader);
                result[(state.OrgId, state.GroupKey)] = state;
            }
        }
        while (await reader.NextResultAsync(cancellationToken));
        return result;
    }

    /// <summary>One incident of one organization, locked until the transaction ends; null when there is none.</summary>
    public static async Task<IncidentState?> LoadForUpdateAsync(
        NpgsqlConnection connection, string orgId, string incidentId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {StateColumns} FROM incidents WHERE org_id = $1 AND incident_id = $2 FOR UPDATE", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = incidentId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Appends <paramref name="events"/>, records the signals they attach, writes the
    /// <paramref name="changed"/> projection rows, and wakes the notifier once the caller commits.
    /// </summary>
    public static async Task AppendAsync(
        NpgsqlConnection connection, IReadOnlyList<TracedIncidentEvent> events, IEnumerable<IncidentState> changed, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY incident_events (org_id, incident_id, version, type, at, document, trace_parent, trace_state) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            foreach (var (e, traceParent, traceState) in events)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(e.OrgId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.IncidentId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.Version, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(Wire.Name(e.Type), NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(JsonSerializer.Serialize(e, AnalyticsJsonContext.Default.IncidentEvent), NpgsqlDbType.Jsonb, cancellationToken);
                await WriteNullableAsync(writer, traceParent, cancellationToken);
                await WriteNullableAsync(writer, traceState, cancellationToken);
            }
            await writer.CompleteAsync(cancellationToken);
        }

        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY incident_signals (org_id, signal_id, incident_id, attached_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var (e, _, _) in events)
            {
                if (e.SignalId is { } signalId && e.Type is IncidentEventType.Opened or IncidentEventType.SignalAttached)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(e.OrgId, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(signalId, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(e.IncidentId, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, cancellationToken);
                }
            }
            await writer.CompleteAsync(cancellationToken);
        }

        await using var batch = new NpgsqlBatch(connection);
        foreach (var state in changed)
        {
            batch.BatchCommands.Add(Upsert("incidents", state));
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', '')"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Writes one projection row into <paramref name="table"/>, which has the columns of <c>incidents</c>.</summary>
    public static NpgsqlBatchCommand Upsert(string table, IncidentState s) => new(
        $"""
        INSERT INTO {table} ({StateColumns}, severity_rank)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
        ON CONFLICT (org_id, incident_id) DO UPDATE SET
            group_key = excluded.group_key, domain = excluded.domain, kind = excluded.kind, severity = excluded.severity,
            severity_rank = excluded.severity_rank, severity_reason = excluded.severity_reason, status = excluded.status,
            site_id = excluded.site_id, camera_id = excluded.camera_id, zone_id = excluded.zone_id,
            signal_count = excluded.signal_count, signal_kinds = excluded.signal_kinds, opened_at = excluded.opened_at,
            updated_at = excluded.updated_at, last_signal_at = excluded.last_signal_at, last_activity_at = excluded.last_activity_at,
            acknowledged_at = excluded.acknowledged_at, resolved_at = excluded.resolved_at, resolution = excluded.resolution,
            silence_id = excluded.silence_id, annotation = excluded.annotation, version = excluded.version
        """)
    {
        Parameters =
        {
            new() { Value = s.OrgId },
            new() { Value = s.IncidentId },
            new() { Value = s.GroupKey },
            new() { Value = Wire.Name(s.Domain) },
            new() { Value = s.Kind },
            new() { Value = Wire.Name(s.Severity) },
            Text(s.SeverityReason),
            new() { Value = Wire.Name(s.Status) },
            new() { Value = s.SiteId },
            Text(s.CameraId),
            Text(s.ZoneId),
            new() { Value = s.SignalCount },
            new() { Value = s.SignalKinds.ToArray() },
            new() { Value = s.OpenedAt },
            new() { Value = s.UpdatedAt },
            new() { Value = s.LastSignalAt },
            new() { Value = s.LastActivityAt },
            Time(s.AcknowledgedAt),
            Time(s.ResolvedAt),
            Text(s.Resolution),
            Text(s.SilenceId),
            Text(s.Annotation),
            new() { Value = s.Version },
            new() { Value = (int)s.Severity },
        },
    };

    /// <summary>A projection row read with <see cref="StateColumns"/> starting at <paramref name="first"/>.</summary>
    public static IncidentState Read(NpgsqlDataReader r, int first = 0) => new()
    {
        OrgId = r.GetString(first),
        IncidentId = r.GetString(first + 1),
        GroupKey = r.GetString(first + 2),
        Domain = Wire.Parse<Domain>(r.GetString(first + 3)),
        Kind = r.GetString(first + 4),
        Severity = Wire.Parse<Severity>(r.GetString(first + 5)),
        SeverityReason = r.IsDBNull(first + 6) ? null : r.GetString(first + 6),
        Status = Wire.Parse<IncidentStatus>(r.GetString(first + 7)),
        SiteId = r.GetString(first + 8),
        CameraId = r.IsDBNull(first + 9) ? null : r.GetString(first + 9),
        ZoneId = r.IsDBNull(first + 10) ? null : r.GetString(first + 10),
        SignalCount = r.GetInt32(first + 11),
        SignalKinds = r.GetFieldValue<string[]>(first + 12),
        OpenedAt = r.GetFieldValue<DateTimeOffset>(first + 13),
        UpdatedAt = r.GetFieldValue<DateTimeOffset>(first + 14),
        LastSignalAt = r.GetFieldValue<DateTimeOffset>(first + 15),
        LastActivityAt = r.GetFieldValue<DateTimeOffset>(first + 16),
        AcknowledgedAt = r.IsDBNull(first + 17) ? null : r.GetFieldValue<DateTimeOffset>(first + 17),
        ResolvedAt = r.IsDBNull(first + 18) ? null : r.GetFieldValue<DateTimeOffset>(first + 18),
        Resolution = r.IsDBNull(first + 19) ? null : r.GetString(first + 19),
        SilenceId = r.IsDBNull(first + 20) ? null : r.GetString(first + 20),
        Annotation = r.IsDBNull(first + 21) ? null : r.GetString(first + 21),
        Version = r.GetInt32(first + 22),
    };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter Time(DateTimeOffset? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    private static Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}
