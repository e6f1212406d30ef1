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
        // One statement for the whole page: each group's newest incident by the group index.
        await using var command = new NpgsqlCommand(
            $"""
            SELECT i.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (org_id, group_key, n)
            CROSS JOIN LATERAL (
                SELECT {StateColumns} FROM incidents
                WHERE org_id = k.org_id AND group_key = k.group_key
                ORDER BY opened_at DESC LIMIT 1
                FOR UPDATE) i
            ORDER BY k.n
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(g => g.OrgId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(g => g.GroupKey).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = Read(reader);
            result[(state.OrgId, state.GroupKey)] = state;
        }
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
            "COPY incident_events (org_id, incident_id, version, type, at, signal_ids, document, trace_parent, trace_state) FROM STDIN (FORMAT BINARY)",
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
                if (IncidentProjection.SignalIdsOf(e).ToArray() is { Length: > 0 } signalIds)
                {
                    await writer.WriteAsync(signalIds, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                }
                else
                {
                    await writer.WriteNullAsync(cancellationToken);
                }
                await writer.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(e, AnalyticsJsonContext.Default.IncidentEvent), NpgsqlDbType.Jsonb, cancellationToken);
                await WriteNullableAsync(writer, traceParent, cancellationToken);
                await WriteNullableAsync(writer, traceState, cancellationToken);
            }
            await writer.CompleteAsync(cancellationToken);
        }

        await WriteProjectionAsync(connection, "incidents", changed, cancellationToken);
        await using var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', '')", connection);
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Writes projection rows into <paramref name="table"/>, which has the columns of
    /// <c>incidents</c>: one statement for any number of rows, each column sent as an array.
    /// </summary>
    public static async Task WriteProjectionAsync(NpgsqlConnection connection, string table, IEnumerable<IncidentState> states, CancellationToken cancellationToken)
    {
        // The last state of an incident wins when it appears more than once.
        var rows = states.GroupBy(s => (s.OrgId, s.IncidentId)).Select(g => g.Last()).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO {table} ({StateColumns}, severity_rank)
            SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12,
                   CASE WHEN c13 = '' THEN ARRAY[]::text[] ELSE string_to_array(c13, chr(31)) END,
                   c14, c15, c16, c17, c18, c19, c20, c21, c22, c23, c24
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::text[], $11::text[], $12::int[], $13::text[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[], $17::timestamptz[],
                $18::timestamptz[], $19::timestamptz[], $20::text[], $21::text[], $22::text[], $23::int[], $24::int[])
                AS u (c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22, c23, c24)
            ON CONFLICT (org_id, incident_id) DO UPDATE SET
                group_key = excluded.group_key, domain = excluded.domain, kind = excluded.kind, severity = excluded.severity,
                severity_rank = excluded.severity_rank, severity_reason = excluded.severity_reason, status = excluded.status,
                site_id = excluded.site_id, camera_id = excluded.camera_id, zone_id = excluded.zone_id,
                signal_count = excluded.signal_count, signal_kinds = excluded.signal_kinds, opened_at = excluded.opened_at,
                updated_at = excluded.updated_at, last_signal_at = excluded.last_signal_at, last_activity_at = excluded.last_activity_at,
                acknowledged_at = excluded.acknowledged_at, resolved_at = excluded.resolved_at, resolution = excluded.resolution,
                silence_id = excluded.silence_id, annotation = excluded.annotation, version = excluded.version
            """, connection);
        command.Parameters.Add(Array(rows, s => s.OrgId));
        command.Parameters.Add(Array(rows, s => s.IncidentId));
        command.Parameters.Add(Array(rows, s => s.GroupKey));
        command.Parameters.Add(Array(rows, s => Wire.Name(s.Domain)));
        command.Parameters.Add(Array(rows, s => s.Kind));
        command.Parameters.Add(Array(rows, s => Wire.Name(s.Severity)));
        command.Parameters.Add(Array(rows, s => s.SeverityReason));
        command.Parameters.Add(Array(rows, s => Wire.Name(s.Status)));
        command.Parameters.Add(Array(rows, s => s.SiteId));
        command.Parameters.Add(Array(rows, s => s.CameraId));
        command.Parameters.Add(Array(rows, s => s.ZoneId));
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(s => s.SignalCount).ToArray() });
        // Postgres has no arrays of arrays of varying length, so each incident's kinds travel as
        // one string joined by the unit separator, which no kind contains.
        command.Parameters.Add(Array(rows, s => string.Join('\u001f', s.SignalKinds)));
        command.Parameters.Add(Times(rows, s => s.OpenedAt));
        command.Parameters.Add(Times(rows, s => s.UpdatedAt));
        command.Parameters.Add(Times(rows, s => s.LastSignalAt));
        command.Parameters.Add(Times(rows, s => s.LastActivityAt));
        command.Parameters.Add(Times(rows, s => s.AcknowledgedAt));
        command.Parameters.Add(Times(rows, s => s.ResolvedAt));
        command.Parameters.Add(Array(rows, s => s.Resolution));
        command.Parameters.Add(Array(rows, s => s.SilenceId));
        command.Parameters.Add(Array(rows, s => s.Annotation));
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(s => s.Version).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(s => (int)s.Severity).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

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

    private static NpgsqlParameter Array(List<IncidentState> rows, Func<IncidentState, string?> value) =>
        new() { Value = rows.Select(value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter Times(List<IncidentState> rows, Func<IncidentState, DateTimeOffset?> value) =>
        new() { Value = rows.Select(value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };

    private static Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}
