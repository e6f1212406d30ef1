using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Dapper;
using Npgsql;

namespace Analytics.Data.Registry;

/// <summary>How a create-or-replace ended.</summary>
public enum PutOutcome
{
    Created,
    Replaced,

    /// <summary>Nothing was written: what the row must point at does not exist (a foreign key refused it).</summary>
    ReferenceMissing,
}

/// <summary>
/// A zone's create-or-replace. When <see cref="PutOutcome.ReferenceMissing"/>, <see cref="CameraSite"/>
/// is the site the named camera is really at, or null when the organization has no such camera.
/// </summary>
public sealed record ZonePut(PutOutcome Outcome, string? CameraSite = null);

/// <summary>What still points at a row a delete was refused for: the first ids in order and how many there are.</summary>
public sealed record References(long Total, IReadOnlyList<string> FirstIds);

/// <summary>A delete: done, not found (both fields empty), or refused because <see cref="BlockedBy"/> still points at the row.</summary>
public sealed record DeleteOutcome(bool Deleted, References? BlockedBy = null);

/// <summary>A camera that has sent nothing for longer than its threshold.</summary>
public sealed record SilentCamera(string OrgId, string CameraId, string SiteId, DateTimeOffset LastSeenAt, int Threshold);

/// <summary>
/// A registered camera's presence: when it last delivered observations or heartbeats (null: never),
/// the newest event time it sent, the threshold that applies to it and whether it is within it.
/// </summary>
public sealed record CameraPresence(
    string CameraId, string SiteId, DateTimeOffset? LastSeenAt, DateTimeOffset? LastEventAt, bool Online, int OfflineAfterSeconds);

/// <summary>A camera the idle fallback closes, with the event time its close takes.</summary>
public sealed record IdleCamera(string OrgId, string CameraId, DateTimeOffset LastEventAt);

/// <summary>
/// The owner of the registry: <c>sites</c>, <c>cameras</c>, <c>zones</c> and <c>camera_activity</c>.
/// Every query of the API is scoped to the caller's organization. The database enforces the
/// references (<c>0005_sites_and_cameras.sql</c>), so a concurrent delete never leaves a dangling
/// one; a refused write or delete comes back as an outcome naming what is missing or in the way.
/// Ingest's activity upsert and the idle fallback's claim are hot or locking paths, written by hand.
/// </summary>
public static class RegistryStore
{
    /// <summary>A camera's site exists.</summary>
    private const string CameraSiteKey = "cameras_site_fk";

    /// <summary>A zone's camera exists, at the zone's site.</summary>
    private const string ZoneCameraKey = "zones_camera_fk";

    /// <summary>How many referencing ids a refused delete names.</summary>
    private const int ReferencesNamed = 10;

    private const string SiteColumns = "org_id, site_id, name, time_zone, address, description";
    private const string CameraColumns = "org_id, camera_id, site_id, name, description, offline_after_seconds";

    // ---- sites ----

    public static async Task<Site[]> SitesAsync(NpgsqlConnection connection, string orgId, CancellationToken cancellationToken)
    {
        var sites = await connection.QueryAsync<Site>(new CommandDefinition(
            $"SELECT {SiteColumns} FROM sites WHERE org_id = @orgId ORDER BY site_id", new { orgId }, cancellationToken: cancellationToken));
        return [.. sites];
    }

    public static async Task<Site?> SiteAsync(NpgsqlConnection connection, string orgId, string siteId, CancellationToken cancellationToken)
    {
        return await connection.QuerySingleOrDefaultAsync<Site>(new CommandDefinition(
            $"SELECT {SiteColumns} FROM sites WHERE org_id = @orgId AND site_id = @siteId", new { orgId, siteId }, cancellationToken: cancellationToken));
    }

    public static async Task<PutOutcome> PutSiteAsync(NpgsqlConnection connection, Site site, CancellationToken cancellationToken)
    {
        var created = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            INSERT INTO sites (org_id, site_id, name, time_zone, address, description)
            VALUES (@OrgId, @SiteId, @Name, @TimeZone, @Address, @Description)
            ON CONFLICT (org_id, site_id) DO UPDATE
                SET name = excluded.name, time_zone = excluded.time_zone, address = excluded.address,
                    description = excluded.description, updated_at = now()
            RETURNING (xmax = 0)
            """, site, cancellationToken: cancellationToken));
        return created ? PutOutcome.Created : PutOutcome.Replaced;
    }

    /// <summary>Deletes a site unless cameras are still at it; inside the caller's transaction.</summary>
    public static Task<DeleteOutcome> DeleteSiteAsync(NpgsqlConnection connection, string orgId, string siteId, CancellationToken cancellationToken) =>
        DeleteUnlessReferencedAsync(connection,
            "DELETE FROM sites WHERE org_id = @orgId AND site_id = @id", CameraSiteKey,
            "SELECT camera_id AS id, count(*) OVER () AS total FROM cameras WHERE org_id = @orgId AND site_id = @id ORDER BY camera_id LIMIT @limit",
            orgId, siteId, cancellationToken);

    // ---- cameras ----

    /// <summary>The organization's cameras, of one site when <paramref name="siteId"/> is given.</summary>
    public static async Task<Camera[]> CamerasAsync(NpgsqlConnection connection, string orgId, string? siteId, CancellationToken cancellationToken)
    {
        var cameras = await connection.QueryAsync<Camera>(new CommandDefinition(
            $"SELECT {CameraColumns} FROM cameras WHERE org_id = @orgId AND (@siteId::text IS NULL OR site_id = @siteId) ORDER BY site_id, camera_id",
            new { orgId, siteId }, cancellationToken: cancellationToken));
        return [.. cameras];
    }

    public static async Task<Camera?> CameraAsync(NpgsqlConnection connection, string orgId, string cameraId, CancellationToken cancellationToken)
    {
        return await connection.QuerySingleOrDefaultAsync<Camera>(new CommandDefinition(
            $"SELECT {CameraColumns} FROM cameras WHERE org_id = @orgId AND camera_id = @cameraId", new { orgId, cameraId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Creates or replaces a camera at an existing site, inside the caller's transaction. Moving it to
    /// another site moves its zones along (the foreign key cascades) and rewrites their documents.
    /// </summary>
    public static async Task<PutOutcome> PutCameraAsync(NpgsqlConnection connection, Camera camera, CancellationToken cancellationToken)
    {
        var (created, refused) = await Refusable.RunAsync(connection, () => connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            INSERT INTO cameras (org_id, camera_id, site_id, name, description, offline_after_seconds)
            VALUES (@OrgId, @CameraId, @SiteId, @Name, @Description, @OfflineAfterSeconds)
            ON CONFLICT (org_id, camera_id) DO UPDATE
                SET site_id = excluded.site_id, name = excluded.name, description = excluded.description,
                    offline_after_seconds = excluded.offline_after_seconds, updated_at = now()
            RETURNING (xmax = 0)
            """, camera, cancellationToken: cancellationToken)), exception => exception.Violates(CameraSiteKey), cancellationToken);
        if (refused)
        {
            return PutOutcome.ReferenceMissing;
        }

        // The foreign key has moved the camera's zones to its new site; their documents follow, and
        // the new updated_at makes the rule services reload them. Unmoved zones are left untouched
        // so an ordinary edit of the camera does not reload every zone.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE zones SET document = jsonb_set(document, '{siteId}', to_jsonb(site_id)), updated_at = now()
            WHERE org_id = @OrgId AND camera_id = @CameraId AND document->>'siteId' IS DISTINCT FROM site_id
            """, new { camera.OrgId, camera.CameraId }, cancellationToken: cancellationToken));
        return created ? PutOutcome.Created : PutOutcome.Replaced;
    }

    /// <summary>Deletes a camera unless zones are still drawn on it; inside the caller's transaction.</summary>
    public static Task<DeleteOutcome> DeleteCameraAsync(NpgsqlConnection connection, string orgId, string cameraId, CancellationToken cancellationToken) =>
        DeleteUnlessReferencedAsync(connection,
            "DELETE FROM cameras WHERE org_id = @orgId AND camera_id = @id", ZoneCameraKey,
            "SELECT zone_id AS id, count(*) OVER () AS total FROM zones WHERE org_id = @orgId AND camera_id = @id ORDER BY zone_id LIMIT @limit",
            orgId, cameraId, cancellationToken);

    // ---- zones ----

    /// <summary>The organization's zones, of one site and/or camera when given.</summary>
    public static async Task<Zone[]> ZonesAsync(NpgsqlConnection connection, string orgId, string? siteId, string? cameraId, CancellationToken cancellationToken)
    {
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT document::text FROM zones
            WHERE org_id = @orgId AND (@siteId::text IS NULL OR site_id = @siteId) AND (@cameraId::text IS NULL OR camera_id = @cameraId)
            ORDER BY site_id, camera_id, zone_id
            """, new { orgId, siteId, cameraId }, cancellationToken: cancellationToken));
        return [.. documents.Select(ParseZone)];
    }

    public static async Task<Zone?> ZoneAsync(NpgsqlConnection connection, string orgId, string zoneId, CancellationToken cancellationToken)
    {
        var document = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT document::text FROM zones WHERE org_id = @orgId AND zone_id = @zoneId", new { orgId, zoneId }, cancellationToken: cancellationToken));
        return document is null ? null : ParseZone(document);
    }

    /// <summary>Creates or replaces a zone on an existing camera of the organization, at that camera's site; inside the caller's transaction.</summary>
    public static async Task<ZonePut> PutZoneAsync(NpgsqlConnection connection, Zone zone, CancellationToken cancellationToken)
    {
        var (created, refused) = await Refusable.RunAsync(connection, () => connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            INSERT INTO zones (org_id, zone_id, site_id, camera_id, document) VALUES (@OrgId, @ZoneId, @SiteId, @CameraId, @Document::jsonb)
            ON CONFLICT (org_id, zone_id) DO UPDATE
                SET site_id = excluded.site_id, camera_id = excluded.camera_id, document = excluded.document, updated_at = now()
            RETURNING (xmax = 0)
            """, ZoneParameters(zone), cancellationToken: cancellationToken)), exception => exception.Violates(ZoneCameraKey), cancellationToken);
        if (!refused)
        {
            return new ZonePut(created ? PutOutcome.Created : PutOutcome.Replaced);
        }
        // Which field is wrong: a camera the organization does not have, or the site of another camera.
        var cameraSite = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT site_id FROM cameras WHERE org_id = @OrgId AND camera_id = @CameraId",
            new { zone.OrgId, zone.CameraId }, cancellationToken: cancellationToken));
        return new ZonePut(PutOutcome.ReferenceMissing, cameraSite);
    }

    public static async Task<bool> DeleteZoneAsync(NpgsqlConnection connection, string orgId, string zoneId, CancellationToken cancellationToken)
    {
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM zones WHERE org_id = @orgId AND zone_id = @zoneId", new { orgId, zoneId }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>
    /// What changes whenever a zone is saved or deleted (how many there are and the newest
    /// <c>updated_at</c>): the rule services reload every zone only when it moves.
    /// </summary>
    public static async Task<(long Count, DateTime? LastUpdate)> ZonesVersionAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var version = await connection.QuerySingleAsync<ZonesVersion>(new CommandDefinition(
            "SELECT count(*) AS count, max(updated_at) AS last_update FROM zones", cancellationToken: cancellationToken));
        return (version.Count, version.LastUpdate);
    }

    /// <summary>Every organization's zones, for the rule services.</summary>
    public static async Task<List<Zone>> AllZonesAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var documents = await connection.QueryAsync<string>(new CommandDefinition("SELECT document::text FROM zones", cancellationToken: cancellationToken));
        return [.. documents.Select(ParseZone)];
    }

    // ---- a layout registered in one transaction (the simulator) ----

    /// <summary>Registers sites that do not exist yet, named by their ids; existing ones are kept as an operator left them.</summary>
    public static Task EnsureSitesAsync(NpgsqlConnection connection, string orgId, IEnumerable<string> siteIds, string timeZone, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sites (org_id, site_id, name, time_zone) VALUES (@orgId, @siteId, @siteId, @timeZone) ON CONFLICT (org_id, site_id) DO NOTHING",
            siteIds.Select(siteId => new { orgId, siteId, timeZone }), cancellationToken: cancellationToken));

    /// <summary>Registers cameras that do not exist yet, named by their ids; existing ones are kept as an operator left them.</summary>
    public static Task EnsureCamerasAsync(
        NpgsqlConnection connection, string orgId, IEnumerable<(string CameraId, string SiteId)> cameras, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cameras (org_id, camera_id, site_id, name) VALUES (@orgId, @cameraId, @siteId, @cameraId) ON CONFLICT (org_id, camera_id) DO NOTHING",
            cameras.Select(camera => new { orgId, cameraId = camera.CameraId, siteId = camera.SiteId }), cancellationToken: cancellationToken));

    /// <summary>Creates or replaces zones inside the caller's transaction.</summary>
    public static Task UpsertZonesAsync(NpgsqlConnection connection, IEnumerable<Zone> zones, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO zones (org_id, zone_id, site_id, camera_id, document, updated_at)
            VALUES (@OrgId, @ZoneId, @SiteId, @CameraId, @Document::jsonb, now())
            ON CONFLICT (org_id, zone_id) DO UPDATE
                SET site_id = excluded.site_id, camera_id = excluded.camera_id, document = excluded.document, updated_at = now()
            """, zones.Select(ZoneParameters), cancellationToken: cancellationToken));

    // ---- camera activity ----

    /// <summary>
    /// Marks <paramref name="cameras"/> as seen now, with their newest event times, inside the
    /// caller's transaction (ingest's commit of their observations). On the ingest hot path: one
    /// statement for the whole round, the columns as arrays.
    /// </summary>
    public static async Task TouchCamerasAsync(
        NpgsqlConnection connection, IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> cameras, CancellationToken cancellationToken)
    {
        if (cameras.Count == 0)
        {
            return;
        }
        // Sorted, so concurrent rounds would lock rows in the same order.
        var ordered = cameras.OrderBy(c => c.Key.OrgId, StringComparer.Ordinal).ThenBy(c => c.Key.CameraId, StringComparer.Ordinal).ToArray();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO camera_activity (org_id, camera_id, last_seen_at, last_event_at)
            SELECT org_id, camera_id, now(), last_event_at
            FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c (org_id, camera_id, last_event_at)
            ON CONFLICT (org_id, camera_id) DO UPDATE SET last_seen_at = GREATEST(camera_activity.last_seen_at, excluded.last_seen_at),
                last_event_at = GREATEST(camera_activity.last_event_at, excluded.last_event_at)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.Key.OrgId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.Key.CameraId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.Value).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> cameras silent since before <paramref name="silentBefore"/> and
    /// not closed since they last sent, locked until the caller's transaction ends. A write round
    /// touching one of them waits for it (the row lock), and a second ingest skips them: each
    /// silence is closed once.
    /// </summary>
    public static async Task<List<IdleCamera>> ClaimIdleCamerasAsync(
        NpgsqlConnection connection, DateTimeOffset silentBefore, int limit, CancellationToken cancellationToken)
    {
        var idle = new List<IdleCamera>();
        await using var select = new NpgsqlCommand(
            """
            SELECT org_id, camera_id, COALESCE(last_event_at, last_seen_at) FROM camera_activity
            WHERE last_seen_at < $1 AND (idle_closed_since IS NULL OR idle_closed_since < last_seen_at)
            ORDER BY last_seen_at LIMIT $2
            FOR UPDATE SKIP LOCKED
            """, connection);
        select.Parameters.Add(new NpgsqlParameter { Value = silentBefore });
        select.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            idle.Add(new IdleCamera(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }
        return idle;
    }

    /// <summary>Records that the idle fallback closed these cameras' current silence, inside the caller's transaction.</summary>
    public static Task MarkIdleClosedAsync(NpgsqlConnection connection, IReadOnlyList<IdleCamera> cameras, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE camera_activity SET idle_closed_since = last_seen_at FROM unnest(@orgIds::text[], @cameraIds::text[]) AS c (org_id, camera_id)
            WHERE camera_activity.org_id = c.org_id AND camera_activity.camera_id = c.camera_id
            """,
            new { orgIds = cameras.Select(c => c.OrgId).ToArray(), cameraIds = cameras.Select(c => c.CameraId).ToArray() },
            cancellationToken: cancellationToken));

    /// <summary>
    /// The offline threshold of camera <c>c</c>: its own <c>offline_after_seconds</c> or
    /// <c>@defaultThresholdSeconds</c> (<c>Fusion:CameraOfflineSeconds</c>).
    /// </summary>
    private const string ThresholdOf = "COALESCE(c.offline_after_seconds, @defaultThresholdSeconds)";

    /// <summary>
    /// Whether camera <c>c</c>, with its activity <c>a</c>, has been silent past its threshold at
    /// <c>@now</c>: written once, so fusion's camera-offline incidents and the API's camera status
    /// call the same camera offline at the same moment.
    /// </summary>
    private const string SilentPastThreshold = $"a.last_seen_at < @now - make_interval(secs => {ThresholdOf})";

    /// <summary>
    /// Registered cameras seen at least once and silent past their threshold at <paramref name="now"/>:
    /// their own <c>offline_after_seconds</c> or <paramref name="defaultThresholdSeconds"/>.
    /// </summary>
    public static async Task<List<SilentCamera>> SilentCamerasAsync(
        NpgsqlDataSource dataSource, DateTimeOffset now, int defaultThresholdSeconds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<SilentCameraRow>(new CommandDefinition(
            $"""
            SELECT c.org_id, c.camera_id, c.site_id, a.last_seen_at, {ThresholdOf} AS threshold
            FROM cameras c JOIN camera_activity a ON a.org_id = c.org_id AND a.camera_id = c.camera_id
            WHERE {SilentPastThreshold}
            ORDER BY c.org_id, c.camera_id
            """, new { now, defaultThresholdSeconds }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new SilentCamera(r.OrgId, r.CameraId, r.SiteId, r.LastSeenAt, r.Threshold))];
    }

    /// <summary>
    /// The organization's registered cameras, of one site when <paramref name="siteId"/> is given,
    /// with their presence at <paramref name="now"/>: online when seen within their threshold (their
    /// own <c>offline_after_seconds</c> or <paramref name="defaultThresholdSeconds"/>), offline when
    /// silent past it or never seen.
    /// </summary>
    public static async Task<CameraPresence[]> CameraPresenceAsync(
        NpgsqlConnection connection, string orgId, string? siteId, DateTimeOffset now, int defaultThresholdSeconds, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<CameraPresenceRow>(new CommandDefinition(
            $"""
            SELECT c.camera_id, c.site_id, a.last_seen_at, a.last_event_at, {ThresholdOf} AS offline_after_seconds,
                   (a.last_seen_at IS NOT NULL AND NOT ({SilentPastThreshold})) AS online
            FROM cameras c LEFT JOIN camera_activity a ON a.org_id = c.org_id AND a.camera_id = c.camera_id
            WHERE c.org_id = @orgId AND (@siteId::text IS NULL OR c.site_id = @siteId)
            ORDER BY c.site_id, c.camera_id
            """, new { orgId, siteId, now, defaultThresholdSeconds }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CameraPresence(r.CameraId, r.SiteId, r.LastSeenAt, r.LastEventAt, r.Online, r.OfflineAfterSeconds))];
    }

    /// <summary>When each of <paramref name="cameras"/> last delivered observations; cameras never seen are left out.</summary>
    public static async Task<Dictionary<(string OrgId, string CameraId), DateTimeOffset>> LastSeenAsync(
        NpgsqlConnection connection, IReadOnlyCollection<(string OrgId, string CameraId)> cameras, CancellationToken cancellationToken)
    {
        var result = new Dictionary<(string, string), DateTimeOffset>();
        if (cameras.Count == 0)
        {
            return result;
        }
        var rows = await connection.QueryAsync<LastSeenRow>(new CommandDefinition(
            """
            SELECT a.org_id, a.camera_id, a.last_seen_at FROM camera_activity a
            JOIN unnest(@orgIds::text[], @cameraIds::text[]) AS c (org_id, camera_id) ON a.org_id = c.org_id AND a.camera_id = c.camera_id
            """,
            new { orgIds = cameras.Select(c => c.OrgId).ToArray(), cameraIds = cameras.Select(c => c.CameraId).ToArray() },
            cancellationToken: cancellationToken));
        foreach (var row in rows)
        {
            result[(row.OrgId, row.CameraId)] = row.LastSeenAt;
        }
        return result;
    }

    /// <summary>Whether the camera was last seen exactly at <paramref name="lastSeenAt"/>: still the same silence.</summary>
    public static Task<bool> StillSilentSinceAsync(
        NpgsqlConnection connection, string orgId, string cameraId, DateTimeOffset lastSeenAt, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM camera_activity WHERE org_id = @orgId AND camera_id = @cameraId AND last_seen_at = @lastSeenAt)",
            new { orgId, cameraId, lastSeenAt }, cancellationToken: cancellationToken));

    /// <summary>
    /// Runs <paramref name="delete"/> (of the row <c>@orgId</c>, <c>@id</c>) unless the foreign key
    /// <paramref name="constraint"/> refuses it; then <paramref name="references"/> names what still
    /// points at the row. Inside the caller's transaction.
    /// </summary>
    private static async Task<DeleteOutcome> DeleteUnlessReferencedAsync(
        NpgsqlConnection connection, string delete, string constraint, string references, string orgId, string id, CancellationToken cancellationToken)
    {
        var (deleted, refused) = await Refusable.RunAsync(connection, () => connection.ExecuteAsync(new CommandDefinition(
            delete, new { orgId, id }, cancellationToken: cancellationToken)),
            exception => exception.Violates(constraint), cancellationToken);
        return refused
            ? new DeleteOutcome(false, await ReferencesAsync(connection, references, orgId, id, cancellationToken))
            : new DeleteOutcome(deleted > 0);
    }

    private static async Task<References> ReferencesAsync(NpgsqlConnection connection, string sql, string orgId, string id, CancellationToken cancellationToken)
    {
        var rows = (await connection.QueryAsync<ReferenceRow>(new CommandDefinition(
            sql, new { orgId, id, limit = ReferencesNamed }, cancellationToken: cancellationToken))).ToList();
        return new References(rows.Count == 0 ? 0 : rows[^1].Total, [.. rows.Select(r => r.Id)]);
    }

    private static bool Violates(this PostgresException exception, string constraint) =>
        exception.SqlState == PostgresErrorCodes.ForeignKeyViolation && exception.ConstraintName == constraint;

    private static object ZoneParameters(Zone zone) => new
    {
        zone.OrgId,
        zone.ZoneId,
        zone.SiteId,
        zone.CameraId,
        Document = JsonSerializer.Serialize(zone, AnalyticsJsonContext.Default.Zone),
    };

    private static Zone ParseZone(string document) => JsonSerializer.Deserialize(document, AnalyticsJsonContext.Default.Zone)!;

    private sealed record ZonesVersion
    {
        public long Count { get; init; }
        public DateTime? LastUpdate { get; init; }
    }

    private sealed record SilentCameraRow
    {
        public string OrgId { get; init; } = "";
        public string CameraId { get; init; } = "";
        public string SiteId { get; init; } = "";
        public DateTimeOffset LastSeenAt { get; init; }
        public int Threshold { get; init; }
    }

    private sealed record CameraPresenceRow
    {
        public string CameraId { get; init; } = "";
        public string SiteId { get; init; } = "";
        public DateTimeOffset? LastSeenAt { get; init; }
        public DateTimeOffset? LastEventAt { get; init; }
        public int OfflineAfterSeconds { get; init; }
        public bool Online { get; init; }
    }

    private sealed record LastSeenRow
    {
        public string OrgId { get; init; } = "";
        public string CameraId { get; init; } = "";
        public DateTimeOffset LastSeenAt { get; init; }
    }

    private sealed record ReferenceRow
    {
        public string Id { get; init; } = "";
        public long Total { get; init; }
    }
}
