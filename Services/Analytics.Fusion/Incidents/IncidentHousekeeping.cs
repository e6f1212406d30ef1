using System.Globalization;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Fusion.Incidents;

/// <summary>
/// The work that runs on wall time, apart from the signal log, because it is about absence:
/// resolving incidents that have had no new signal for the quiet period, and opening a
/// camera-offline incident when a camera stops sending (annotating that camera's open incidents),
/// resolved once it sends again.
/// </summary>
public sealed partial class IncidentHousekeeping(
    NpgsqlDataSource dataSource,
    IOptions<FusionSettings> settings,
    TimeProvider clock,
    ILogger<IncidentHousekeeping> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.Value.HousekeepingIntervalSeconds), clock);
        do
        {
            try
            {
                while (await ResolveQuietAsync(clock.GetUtcNow(), stoppingToken) == BatchSize)
                {
                }
                await WatchCamerasAsync(clock.GetUtcNow(), stoppingToken);
            }
            catch (NpgsqlException e)
            {
                LogFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Resolves up to a batch of incidents quiet since before <paramref name="now"/> minus the quiet period.</summary>
    /// <returns>How many were resolved.</returns>
    public async Task<int> ResolveQuietAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var quiet = settings.Value.AutoResolveQuietSeconds;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var quietOnes = new List<IncidentState>();
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT {IncidentStore.StateColumns} FROM incidents
            WHERE status <> 'resolved' AND last_activity_at < $1
            ORDER BY last_activity_at LIMIT {BatchSize}
            FOR UPDATE SKIP LOCKED
            """, connection))
        {
            // Skipping locked rows: an incident fusion or an operator is changing right now is not quiet.
            command.Parameters.Add(new NpgsqlParameter { Value = now.AddSeconds(-quiet) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                quietOnes.Add(IncidentStore.Read(reader));
            }
        }

        var events = new List<TracedIncidentEvent>();
        var resolved = new List<IncidentState>();
        foreach (var incident in quietOnes)
        {
            resolved.Add(Append(incident, IncidentEventType.Resolved, now, string.Create(CultureInfo.InvariantCulture, $"no new signal for {quiet} s"), events));
        }
        await IncidentStore.AppendAsync(connection, events, resolved, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return quietOnes.Count;
    }

    public const string CameraOfflineKind = "camera_offline";

    /// <summary>
    /// Opens a camera-offline incident for each camera silent past its threshold (its own
    /// <c>offlineAfterSeconds</c> or <see cref="FusionSettings.CameraOfflineSeconds"/>), notes it on
    /// that camera's open incidents, and resolves camera-offline incidents whose camera sent again.
    /// Only cameras registered and seen at least once are watched, so one not yet installed is not "offline".
    /// </summary>
    /// <returns>How many incidents were opened or resolved.</returns>
    public async Task<int> WatchCamerasAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var silent = new List<(string OrgId, string CameraId, string SiteId, DateTimeOffset LastSeenAt, int Threshold)>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT c.org_id, c.camera_id, c.site_id, a.last_seen_at, COALESCE(c.offline_after_seconds, $2)
            FROM cameras c JOIN camera_activity a ON a.org_id = c.org_id AND a.camera_id = c.camera_id
            WHERE a.last_seen_at < $1 - make_interval(secs => COALESCE(c.offline_after_seconds, $2))
            ORDER BY c.org_id, c.camera_id
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = now });
            command.Parameters.Add(new NpgsqlParameter { Value = settings.Value.CameraOfflineSeconds });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                silent.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetInt32(4)));
            }
        }

        var events = new List<TracedIncidentEvent>();
        var changed = new List<IncidentState>();
        var newest = await IncidentStore.LoadNewestInGroupsAsync(
            connection, silent.Select(c => (c.OrgId, OfflineGroupKey(c.SiteId, c.CameraId))), cancellationToken);
        var silences = await SilenceStore.ActiveAsync(connection, silent.Select(c => c.OrgId).Distinct().ToList(), now, cancellationToken);
        foreach (var camera in silent)
        {
            if (newest.TryGetValue((camera.OrgId, OfflineGroupKey(camera.SiteId, camera.CameraId)), out var open)
                && open.Status != IncidentStatus.Resolved)
            {
                continue;
            }
            var note = string.Create(CultureInfo.InvariantCulture,
                $"camera {camera.CameraId} has sent nothing since {camera.LastSeenAt:O} (offline after {camera.Threshold} s)");
            var opened = new IncidentEvent
            {
                // One incident per silence of the camera, whoever notices it first.
                IncidentId = "inc-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
                    System.Text.Encoding.UTF8.GetBytes($"{camera.OrgId}\n{camera.CameraId}\n{camera.LastSeenAt.UtcTicks}")).AsSpan(0, 12)),
                OrgId = camera.OrgId,
                Version = 1,
                Type = IncidentEventType.Opened,
                At = now,
                Actor = IncidentFolder.Actor,
                Domain = Domain.Platform,
                Kind = CameraOfflineKind,
                Severity = Severity.High,
                SiteId = camera.SiteId,
                CameraId = camera.CameraId,
                GroupKey = OfflineGroupKey(camera.SiteId, camera.CameraId),
                Reason = note,
                SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
            };
            opened = opened with { SilenceId = SilenceStore.Matching(silences, IncidentProjection.Apply(null, opened), now) };
            events.Add(new TracedIncidentEvent(opened));
            changed.Add(IncidentProjection.Apply(null, opened));
            await AnnotateOpenIncidentsAsync(connection, camera.OrgId, camera.CameraId, note, now, events, changed, cancellationToken);
        }

        await ResolveRecoveredAsync(connection, now, events, changed, cancellationToken);
        await IncidentStore.AppendAsync(connection, events, changed, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return changed.Count(s => s.Kind == CameraOfflineKind);
    }

    private static string OfflineGroupKey(string siteId, string cameraId) => $"{siteId}/camera:{cameraId}/{CameraOfflineKind}";

    private static async Task AnnotateOpenIncidentsAsync(
        NpgsqlConnection connection, string orgId, string cameraId, string note, DateTimeOffset now,
        List<TracedIncidentEvent> events, List<IncidentState> changed, CancellationToken cancellationToken)
    {
        var open = new List<IncidentState>();
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT {IncidentStore.StateColumns} FROM incidents
            WHERE org_id = $1 AND camera_id = $2 AND status <> 'resolved' AND kind <> '{CameraOfflineKind}'
            ORDER BY incident_id FOR UPDATE
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = orgId });
            command.Parameters.Add(new NpgsqlParameter { Value = cameraId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                open.Add(IncidentStore.Read(reader));
            }
        }
        foreach (var incident in open)
        {
            changed.Add(Append(incident, IncidentEventType.Annotated, now, note, events));
        }
    }

    private static async Task ResolveRecoveredAsync(
        NpgsqlConnection connection, DateTimeOffset now, List<TracedIncidentEvent> events, List<IncidentState> changed, CancellationToken cancellationToken)
    {
        var recovered = new List<(IncidentState Incident, DateTimeOffset SeenAt)>();
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT {IncidentStore.StateColumnsOf("i")}, a.last_seen_at FROM incidents i
            JOIN camera_activity a ON a.org_id = i.org_id AND a.camera_id = i.camera_id
            WHERE i.kind = '{CameraOfflineKind}' AND i.status <> 'resolved' AND a.last_seen_at > i.opened_at
            ORDER BY i.org_id, i.incident_id
            FOR UPDATE OF i SKIP LOCKED
            """, connection))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                recovered.Add((IncidentStore.Read(reader), reader.GetFieldValue<DateTimeOffset>(23)));
            }
        }
        foreach (var (incident, seenAt) in recovered)
        {
            changed.Add(Append(incident, IncidentEventType.Resolved, now,
                string.Create(CultureInfo.InvariantCulture, $"camera {incident.CameraId} sent observations again at {seenAt:O}"), events));
        }
    }

    /// <summary>Adds fusion's next event of <paramref name="type"/> to <paramref name="incident"/>'s history; returns the incident after it.</summary>
    private static IncidentState Append(IncidentState incident, IncidentEventType type, DateTimeOffset now, string reason, List<TracedIncidentEvent> events)
    {
        var e = new IncidentEvent
        {
            IncidentId = incident.IncidentId,
            OrgId = incident.OrgId,
            Version = incident.Version + 1,
            Type = type,
            At = now,
            Actor = IncidentFolder.Actor,
            Reason = reason,
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        };
        events.Add(new TracedIncidentEvent(e));
        return IncidentProjection.Apply(incident, e);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Incident housekeeping failed; trying again at the next interval")]
    private partial void LogFailed(Exception error);
}
