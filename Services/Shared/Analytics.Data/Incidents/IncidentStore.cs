using System.Text.Json;
using Analytics.EventLog;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Data.Incidents;

/// <summary>
/// An incident event as stored, with the trace of what caused it. <see cref="Event"/> is read only
/// for the types that can notify; for the others (most of them: attached signals) it is null.
/// </summary>
public sealed record StoredIncidentEvent(IncidentEvent? Event, string? TraceParent, string? TraceState);

/// <summary>
/// Which of an organization's incidents the API's list and counts match; null filters match
/// everything, and <see cref="WithinSites"/> (a caller limited to sites) keeps only those sites'.
/// </summary>
public sealed record IncidentCriteria(
    string OrgId,
    Domain? Domain = null,
    string? Kind = null,
    string? SiteId = null,
    string? CameraId = null,
    string? ZoneId = null,
    Severity? MinSeverity = null,
    IReadOnlyCollection<string>? WithinSites = null);

/// <summary>What the API's incident list asks for: the incidents <see cref="Criteria"/> match, of one status or all, a page at a time.</summary>
public sealed record IncidentFilter(
    IncidentCriteria Criteria,
    IncidentStatus? Status,
    (DateTimeOffset OpenedAt, string IncidentId)? After,
    int Limit);

/// <summary>An unresolved incident of one camera, as housekeeping looks for recovered cameras.</summary>
public sealed record CameraIncident(string OrgId, string IncidentId, string CameraId, DateTimeOffset OpenedAt);

/// <summary>
/// The owner of <c>incident_events</c> (the history) and <c>incidents</c> (its projection). Events
/// are appended and the projection rows they change are written in the caller's transaction, so the
/// two never disagree. Readers that will append lock the rows they read (FOR UPDATE), so fusion,
/// housekeeping and an operator acting on the same incident take turns; the (incident, version) key
/// catches anything else. Fusion's batched group load, the binary COPY of events and the array
/// upsert of projection rows are hot paths and written by hand; the rest maps rows by name.
/// </summary>
public static class IncidentStore
{
    /// <summary>NOTIFY channel that wakes the notifier when events were appended.</summary>
    public const string Channel = "incident_events";

    // Only the types that can notify are parsed; an attached signal, the bulk of the stream, costs
    // the notifier a type and a trace context, not a JSON document.
    private static readonly PostgresFeedDefinition<StoredIncidentEvent> NotifiableEvents = new(
        "incident_events",
        Channel,
        $"CASE WHEN type IN {SqlWords.List(IncidentEventType.Opened, IncidentEventType.Reopened, IncidentEventType.SeverityChanged, IncidentEventType.Resolved)} THEN document::text END, trace_parent, trace_state",
        (reader, _) => new StoredIncidentEvent(
            reader.IsDBNull(2) ? null : IncidentEventJson.Read(reader.GetString(2)),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4)));

    /// <summary>The incident events as a log, in the order they committed, with the documents of the types that can notify: what the notifier reads.</summary>
    public static IEventLog<StoredIncidentEvent> NotifiableEventLog(NpgsqlDataSource dataSource) =>
        new PostgresLog<StoredIncidentEvent>(dataSource, NotifiableEvents);

    // Row-level security refuses COPY into incident_events (migration 0016): events are copied into
    // the session's staging table and moved from there.
    private static readonly StagingTable EventStaging = new(
        "incident_events",
        "org_id, incident_id, version, type, at, signal_ids, document, trace_parent, trace_state",
        "org_id text, incident_id text, version int, type text, at timestamptz, signal_ids text[], document jsonb, trace_parent text, trace_state text");

    private const string StateColumns =
        "org_id, incident_id, group_key, domain, kind, severity, severity_reason, status, site_id, camera_id, zone_id, " +
        "signal_count, signal_kinds, opened_at, updated_at, last_signal_at, last_activity_at, acknowledged_at, resolved_at, " +
        "resolution, silence_id, annotation, version";

    private static readonly string Unresolved = $"status <> {SqlWords.Literal(IncidentStatus.Resolved)}";

    // ---- fusion's hot paths ----

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
        // Dapper's row parser on the hand-written reader: mapped by name like every other read.
        var parse = reader.GetRowParser<IncidentRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = parse(reader).ToState();
            result[(state.OrgId, state.GroupKey)] = state;
        }
        return result;
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
        await EventStaging.PrepareAsync(connection, cancellationToken);
        await using (var writer = await connection.BeginBinaryImportAsync(EventStaging.CopyCommand, cancellationToken))
        {
            foreach (var (e, traceParent, traceState) in events)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(e.OrgId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.IncidentId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.Version, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(Wire.Name(e.Type), NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, cancellationToken);
                if (IncidentProjection.SignalIdsOf(e) is { Length: > 0 } signalIds)
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
        await EventStaging.MoveAsync(connection, cancellationToken);

        await WriteProjectionAsync(connection, "incidents", changed, cancellationToken);
        await using var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', '')", connection);
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    // ---- operators (the API) ----

    /// <summary>One incident of one organization, locked until the transaction ends; null when there is none.</summary>
    public static Task<IncidentState?> LoadForUpdateAsync(NpgsqlConnection connection, string orgId, string incidentId, CancellationToken cancellationToken) =>
        OneAsync(connection, $"SELECT {StateColumns} FROM incidents WHERE org_id = @orgId AND incident_id = @incidentId FOR UPDATE", new { orgId, incidentId }, cancellationToken);

    /// <summary>The channel the database announces every incident opened or changed on (migration 0023).</summary>
    public const string ChangesChannel = "incident_changes";

    /// <summary>
    /// Makes <paramref name="connection"/> receive the announcements of <see cref="ChangesChannel"/>
    /// (its <c>Notification</c> event, while the caller waits on it): JSON with the organization,
    /// incident id, site, status and version, nothing more.
    /// </summary>
    public static async Task ListenForChangesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var listen = new NpgsqlCommand($"LISTEN {ChangesChannel}", connection);
        await listen.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One incident of one organization as it is now; null when there is none.</summary>
    public static Task<IncidentState?> LoadAsync(NpgsqlConnection connection, string orgId, string incidentId, CancellationToken cancellationToken) =>
        OneAsync(connection, $"SELECT {StateColumns} FROM incidents WHERE org_id = @orgId AND incident_id = @incidentId", new { orgId, incidentId }, cancellationToken);

    /// <summary>
    /// The condition of <see cref="IncidentCriteria"/> on <c>incidents</c>, written once for the list
    /// and the counts so the two cannot disagree; its parameters come from <see cref="CriteriaParameters"/>.
    /// </summary>
    private const string MatchesCriteria =
        """
        org_id = @orgId
          AND (@domain::text IS NULL OR domain = @domain) AND (@kind::text IS NULL OR kind = @kind)
          AND (@siteId::text IS NULL OR site_id = @siteId) AND (@cameraId::text IS NULL OR camera_id = @cameraId) AND (@zoneId::text IS NULL OR zone_id = @zoneId)
          AND (@minSeverityRank::int IS NULL OR severity_rank >= @minSeverityRank)
          AND (@withinSites::text[] IS NULL OR site_id = ANY (@withinSites))
        """;

    private static DynamicParameters CriteriaParameters(IncidentCriteria criteria) => new(new
    {
        orgId = criteria.OrgId,
        domain = SqlWords.NameOrNull(criteria.Domain),
        kind = criteria.Kind,
        siteId = criteria.SiteId,
        cameraId = criteria.CameraId,
        zoneId = criteria.ZoneId,
        minSeverityRank = criteria.MinSeverity is { } severity ? (int)severity : (int?)null,
        withinSites = criteria.WithinSites?.ToArray(),
    });

    /// <summary>A page of the organization's incidents, newest first, after <see cref="IncidentFilter.After"/> in that order.</summary>
    public static async Task<List<IncidentState>> ListAsync(NpgsqlConnection connection, IncidentFilter filter, CancellationToken cancellationToken)
    {
        var parameters = CriteriaParameters(filter.Criteria);
        parameters.AddDynamicParams(new
        {
            status = SqlWords.NameOrNull(filter.Status),
            afterOpenedAt = filter.After?.OpenedAt,
            afterId = filter.After?.IncidentId,
            limit = filter.Limit,
        });
        var rows = await connection.QueryAsync<IncidentRow>(new CommandDefinition(
            $"""
            SELECT {StateColumns} FROM incidents
            WHERE {MatchesCriteria}
              AND (@status::text IS NULL OR status = @status)
              AND (@afterOpenedAt::timestamptz IS NULL OR (opened_at, incident_id) < (@afterOpenedAt, @afterId))
            ORDER BY opened_at DESC, incident_id DESC
            LIMIT @limit
            """,
            parameters,
            cancellationToken: cancellationToken));
        return [.. rows.Select(row => row.ToState())];
    }

    /// <summary>
    /// How many of the incidents <paramref name="criteria"/> match are in each status: an
    /// index-only scan of the covering index <c>incidents_counts</c> (migration 0025).
    /// </summary>
    public static async Task<IncidentCounts> CountByStatusAsync(NpgsqlConnection connection, IncidentCriteria criteria, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<StatusCountRow>(new CommandDefinition(
            $"SELECT status, count(*) AS count FROM incidents WHERE {MatchesCriteria} GROUP BY status",
            CriteriaParameters(criteria),
            cancellationToken: cancellationToken));
        return IncidentCounts.Of(rows.ToDictionary(row => Wire.Parse<IncidentStatus>(row.Status), row => row.Count));
    }

    /// <summary>
    /// How many incidents opened from <paramref name="from"/> until <paramref name="to"/>, per site,
    /// kind and bucket of <paramref name="bucket"/> counted from <paramref name="from"/>; only
    /// <paramref name="withinSites"/> when given. A range of the index <c>incidents_newest</c>.
    /// </summary>
    public static async Task<List<OpenedInBucket>> OpenedPerBucketAsync(
        NpgsqlConnection connection, string orgId, DateTimeOffset from, DateTimeOffset to, TimeSpan bucket,
        IReadOnlyCollection<string>? withinSites, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<OpenedRow>(new CommandDefinition(
            """
            SELECT site_id, kind, date_bin(@bucket, opened_at, @from) AS bucket_start, count(*) AS count
            FROM incidents
            WHERE org_id = @orgId AND opened_at >= @from AND opened_at < @to
              AND (@withinSites::text[] IS NULL OR site_id = ANY (@withinSites))
            GROUP BY site_id, kind, bucket_start
            """,
            new { orgId, from, to, bucket, withinSites = withinSites?.ToArray() },
            cancellationToken: cancellationToken));
        return [.. rows.Select(row => new OpenedInBucket(row.SiteId, row.Kind, row.BucketStart, row.Count))];
    }

    /// <summary>The evidence chain of each incident: the ids of the signals its events brought in, in order.</summary>
    public static async Task<Dictionary<string, List<string>>> SignalIdsAsync(
        NpgsqlConnection connection, string orgId, string[] incidentIds, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<EvidenceRow>(new CommandDefinition(
            """
            SELECT e.incident_id, a.signal_id FROM incident_events e
            CROSS JOIN LATERAL unnest(e.signal_ids) WITH ORDINALITY AS a (signal_id, n)
            WHERE e.org_id = @orgId AND e.incident_id = ANY(@incidentIds) AND e.signal_ids IS NOT NULL
            ORDER BY e.incident_id, e.version, a.n
            """, new { orgId, incidentIds }, cancellationToken: cancellationToken));
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (!result.TryGetValue(row.IncidentId, out var list))
            {
                result[row.IncidentId] = list = [];
            }
            list.Add(row.SignalId);
        }
        return result;
    }

    /// <summary>Every event of one incident, oldest first.</summary>
    public static async Task<List<IncidentEvent>> HistoryAsync(NpgsqlConnection connection, string orgId, string incidentId, CancellationToken cancellationToken)
    {
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT document::text FROM incident_events WHERE org_id = @orgId AND incident_id = @incidentId ORDER BY version",
            new { orgId, incidentId }, cancellationToken: cancellationToken));
        return [.. documents.Select(IncidentEventJson.Read)];
    }

    // ---- the notifier ----

    /// <summary>The history of every incident in <paramref name="events"/> up to the newest of those events.</summary>
    public static async Task<IncidentHistories> HistoriesAsync(NpgsqlConnection connection, IReadOnlyList<IncidentEvent> events, CancellationToken cancellationToken)
    {
        var upTo = events.GroupBy(e => (e.OrgId, e.IncidentId)).Select(g => (g.Key.OrgId, g.Key.IncidentId, Version: g.Max(e => e.Version))).ToList();
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT e.document::text FROM incident_events e
            JOIN unnest(@orgIds::text[], @incidentIds::text[], @versions::int[]) AS w (org_id, incident_id, up_to)
              ON e.org_id = w.org_id AND e.incident_id = w.incident_id AND e.version <= w.up_to
            ORDER BY e.org_id, e.incident_id, e.version
            """,
            new
            {
                orgIds = upTo.Select(u => u.OrgId).ToArray(),
                incidentIds = upTo.Select(u => u.IncidentId).ToArray(),
                versions = upTo.Select(u => u.Version).ToArray(),
            },
            cancellationToken: cancellationToken));
        var histories = new IncidentHistories();
        foreach (var document in documents)
        {
            histories.Add(IncidentEventJson.Read(document));
        }
        return histories;
    }

    // ---- housekeeping ----

    /// <summary>
    /// Up to <paramref name="limit"/> unresolved incidents, except those of <paramref name="exceptKind"/>,
    /// with no activity since <paramref name="quietSince"/>, locked until the transaction ends.
    /// Locked rows are skipped: an incident fusion or an operator is changing right now is not quiet.
    /// </summary>
    public static async Task<List<IncidentState>> ClaimQuietAsync(
        NpgsqlConnection connection, DateTimeOffset quietSince, string exceptKind, int limit, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<IncidentRow>(new CommandDefinition(
            $"""
            SELECT {StateColumns} FROM incidents
            WHERE {Unresolved} AND last_activity_at < @quietSince AND kind <> @exceptKind
            ORDER BY last_activity_at LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """, new { quietSince, exceptKind, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(row => row.ToState())];
    }

    /// <summary>The unresolved incidents of one camera, except those of <paramref name="exceptKind"/>, locked until the transaction ends.</summary>
    public static async Task<List<IncidentState>> LockUnresolvedOfCameraAsync(
        NpgsqlConnection connection, string orgId, string cameraId, string exceptKind, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<IncidentRow>(new CommandDefinition(
            $"""
            SELECT {StateColumns} FROM incidents
            WHERE org_id = @orgId AND camera_id = @cameraId AND {Unresolved} AND kind <> @exceptKind
            ORDER BY incident_id FOR UPDATE
            """, new { orgId, cameraId, exceptKind }, cancellationToken: cancellationToken));
        return [.. rows.Select(row => row.ToState())];
    }

    /// <summary>Every organization's unresolved incidents of <paramref name="kind"/> that are about one camera.</summary>
    public static async Task<List<CameraIncident>> UnresolvedCameraIncidentsAsync(NpgsqlDataSource dataSource, string kind, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<CameraIncidentRow>(new CommandDefinition(
            $"""
            SELECT org_id, incident_id, camera_id, opened_at FROM incidents
            WHERE kind = @kind AND {Unresolved} AND camera_id IS NOT NULL
            ORDER BY org_id, incident_id
            """, new { kind }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CameraIncident(r.OrgId, r.IncidentId, r.CameraId, r.OpenedAt))];
    }

    /// <summary>
    /// One unresolved incident, locked until the transaction ends; null when it is resolved, gone,
    /// or locked by someone else right now (an operator acting on it goes first).
    /// </summary>
    public static Task<IncidentState?> ClaimUnresolvedAsync(NpgsqlConnection connection, string orgId, string incidentId, CancellationToken cancellationToken) =>
        OneAsync(connection,
            $"SELECT {StateColumns} FROM incidents WHERE org_id = @orgId AND incident_id = @incidentId AND {Unresolved} FOR UPDATE SKIP LOCKED",
            new { orgId, incidentId }, cancellationToken);

    /// <summary>
    /// Waits, until the transaction ends, for every other transaction that took the turn of
    /// <paramref name="key"/>: housekeepers beside each other (replicas, a test beside the service)
    /// take turns on a camera.
    /// </summary>
    public static Task TakeTurnAsync(NpgsqlConnection connection, string key, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", new { key }, cancellationToken: cancellationToken));

    /// <summary>
    /// Whether <paramref name="incidentId"/> may open: it never opened, in whatever state it is now
    /// (an operator may have resolved it by hand), and no incident of <paramref name="groupKey"/> is unresolved.
    /// </summary>
    public static Task<bool> CanOpenAsync(NpgsqlConnection connection, string orgId, string incidentId, string groupKey, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            $"""
            SELECT NOT EXISTS (SELECT 1 FROM incident_events WHERE org_id = @orgId AND incident_id = @incidentId AND version = 1)
               AND NOT EXISTS (SELECT 1 FROM incidents WHERE org_id = @orgId AND group_key = @groupKey AND {Unresolved})
            """, new { orgId, incidentId, groupKey }, cancellationToken: cancellationToken));

    // ---- rebuild ----

    private const int RebuildBatchSize = 500;

    /// <summary>
    /// Empties <paramref name="incidentsTable"/> (shaped like <c>incidents</c>) and fills it from
    /// <c>incident_events</c> alone, inside the caller's transaction: the events are the record and
    /// the projection only a view of them, which this repairs if it is ever lost. Rebuilding the live
    /// table needs fusion and the API stopped or the tables locked, or their writes would race it.
    /// </summary>
    /// <returns>How many incidents were rebuilt.</returns>
    public static async Task<int> RebuildAsync(NpgsqlConnection connection, string incidentsTable, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition($"TRUNCATE {incidentsTable}", cancellationToken: cancellationToken));

        var states = new List<IncidentState>();
        IncidentState? current = null;
        // Streamed: the whole history is read once and folded as it arrives.
        var documents = connection.QueryUnbufferedAsync<string>("SELECT document::text FROM incident_events ORDER BY org_id, incident_id, version");
        await foreach (var document in documents.WithCancellation(cancellationToken))
        {
            var e = IncidentEventJson.Read(document);
            if (current is not null && (current.OrgId != e.OrgId || current.IncidentId != e.IncidentId))
            {
                states.Add(current);
                current = null;
            }
            current = IncidentProjection.Apply(current, e);
        }
        if (current is not null)
        {
            states.Add(current);
        }

        foreach (var chunk in states.Chunk(RebuildBatchSize))
        {
            await WriteProjectionAsync(connection, incidentsTable, chunk, cancellationToken);
        }
        return states.Count;
    }

    /// <summary>
    /// Writes projection rows into <paramref name="table"/>, which has the columns of
    /// <c>incidents</c>: one statement for any number of rows, each column sent as an array.
    /// </summary>
    private static async Task WriteProjectionAsync(NpgsqlConnection connection, string table, IEnumerable<IncidentState> states, CancellationToken cancellationToken)
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

    private static async Task<IncidentState?> OneAsync(NpgsqlConnection connection, string sql, object parameters, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<IncidentRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)))?.ToState();

    private static NpgsqlParameter Array(List<IncidentState> rows, Func<IncidentState, string?> value) =>
        new() { Value = rows.Select(value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter Times(List<IncidentState> rows, Func<IncidentState, DateTimeOffset?> value) =>
        new() { Value = rows.Select(value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };

    private static Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    /// <summary>A row of <c>incidents</c> as stored (enums as their wire names), mapped by column name.</summary>
    private sealed record IncidentRow
    {
        public string OrgId { get; init; } = "";
        public string IncidentId { get; init; } = "";
        public string GroupKey { get; init; } = "";
        public string Domain { get; init; } = "";
        public string Kind { get; init; } = "";
        public string Severity { get; init; } = "";
        public string? SeverityReason { get; init; }
        public string Status { get; init; } = "";
        public string SiteId { get; init; } = "";
        public string? CameraId { get; init; }
        public string? ZoneId { get; init; }
        public int SignalCount { get; init; }
        public string[] SignalKinds { get; init; } = [];
        public DateTimeOffset OpenedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public DateTimeOffset LastSignalAt { get; init; }
        public DateTimeOffset LastActivityAt { get; init; }
        public DateTimeOffset? AcknowledgedAt { get; init; }
        public DateTimeOffset? ResolvedAt { get; init; }
        public string? Resolution { get; init; }
        public string? SilenceId { get; init; }
        public string? Annotation { get; init; }
        public int Version { get; init; }

        public IncidentState ToState() => new()
        {
            OrgId = OrgId,
            IncidentId = IncidentId,
            GroupKey = GroupKey,
            Domain = Wire.Parse<Domain>(Domain),
            Kind = Kind,
            Severity = Wire.Parse<Severity>(Severity),
            SeverityReason = SeverityReason,
            Status = Wire.Parse<IncidentStatus>(Status),
            SiteId = SiteId,
            CameraId = CameraId,
            ZoneId = ZoneId,
            SignalCount = SignalCount,
            SignalKinds = SignalKinds,
            OpenedAt = OpenedAt,
            UpdatedAt = UpdatedAt,
            LastSignalAt = LastSignalAt,
            LastActivityAt = LastActivityAt,
            AcknowledgedAt = AcknowledgedAt,
            ResolvedAt = ResolvedAt,
            Resolution = Resolution,
            SilenceId = SilenceId,
            Annotation = Annotation,
            Version = Version,
        };
    }

    private sealed record StatusCountRow
    {
        public string Status { get; init; } = "";
        public long Count { get; init; }
    }

    private sealed record OpenedRow
    {
        public string SiteId { get; init; } = "";
        public string Kind { get; init; } = "";
        public DateTimeOffset BucketStart { get; init; }
        public long Count { get; init; }
    }

    private sealed record EvidenceRow
    {
        public string IncidentId { get; init; } = "";
        public string SignalId { get; init; } = "";
    }

    private sealed record CameraIncidentRow
    {
        public string OrgId { get; init; } = "";
        public string IncidentId { get; init; } = "";
        public string CameraId { get; init; } = "";
        public DateTimeOffset OpenedAt { get; init; }
    }
}
