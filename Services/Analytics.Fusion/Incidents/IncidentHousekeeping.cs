using System.Globalization;
using Analytics.Data.Incidents;
using Analytics.Data.Registry;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
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
            // The two jobs fail apart, so a broken quiet cleanup does not stop the cameras being watched.
            await RunAsync("quiet-incident cleanup", async () =>
            {
                while (await ResolveQuietAsync(clock.GetUtcNow(), stoppingToken) == BatchSize)
                {
                }
            }, stoppingToken);
            await RunAsync("camera watch", () => WatchCamerasAsync(clock.GetUtcNow(), stoppingToken), stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RunAsync(string job, Func<Task> work, CancellationToken stoppingToken)
    {
        try
        {
            await work();
        }
        catch (NpgsqlException e) when (e.IsTransient)
        {
            LogJobInterrupted(e, job);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Not something a retry fixes: said at error level every time it happens, never swallowed.
            LogJobFailed(e, job);
        }
    }

    /// <summary>
    /// Resolves up to a batch of incidents quiet since before <paramref name="now"/> minus the quiet
    /// period. Camera-offline incidents are left alone: they are about absence, so they never get a
    /// new signal, and they resolve when their camera sends again.
    /// </summary>
    /// <returns>How many were resolved.</returns>
    public async Task<int> ResolveQuietAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var quiet = settings.Value.AutoResolveQuietSeconds;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var quietOnes = await IncidentStore.ClaimQuietAsync(connection, now.AddSeconds(-quiet), CameraOfflineKind, BatchSize, cancellationToken);

        var events = new List<TracedIncidentEvent>();
        var resolved = new List<IncidentState>();
        foreach (var incident in quietOnes)
        {
            resolved.Add(Resolve(incident, now, string.Create(CultureInfo.InvariantCulture, $"no new signal for {quiet} s"), events));
        }
        await IncidentStore.AppendAsync(connection, events, resolved, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return quietOnes.Count;
    }

    public const string CameraOfflineKind = IncidentKinds.CameraOffline;

    /// <summary>
    /// Resolves camera-offline incidents whose camera sent again, then opens one for each camera
    /// silent past its threshold (its own <c>offlineAfterSeconds</c> or
    /// <see cref="FusionSettings.CameraOfflineSeconds"/>) and notes it on that camera's open incidents.
    /// Only cameras registered and seen at least once are watched, so one not yet installed is not "offline".
    /// Each camera is handled in its own transaction: one camera's failure is logged with its
    /// organization and id and never rolls back or holds up another's.
    /// </summary>
    /// <returns>How many camera-offline incidents were opened or resolved.</returns>
    public async Task<int> WatchCamerasAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var changed = 0;
        // Resolving first lets a camera that sent and fell silent again between two passes get its
        // new incident in this pass rather than the next.
        foreach (var (orgId, incidentId, cameraId) in await RecoveredAsync(cancellationToken))
        {
            changed += await ForOneCameraAsync(orgId, cameraId, "resolve", () => ResolveRecoveredAsync(orgId, incidentId, now, cancellationToken));
        }
        foreach (var camera in await RegistryStore.SilentCamerasAsync(dataSource, now, settings.Value.CameraOfflineSeconds, cancellationToken))
        {
            changed += await ForOneCameraAsync(camera.OrgId, camera.CameraId, "open", () => OpenOfflineAsync(camera, now, cancellationToken));
        }
        return changed;
    }

    private async Task<int> ForOneCameraAsync(string orgId, string? cameraId, string step, Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (NpgsqlException e) when (e.IsTransient)
        {
            LogCameraInterrupted(e, step, cameraId, orgId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug or a broken row, not bad luck: said at error level at every pass until fixed.
            LogCameraFailed(e, step, cameraId, orgId);
        }
        return 0;
    }

    /// <summary>Opens the camera-offline incident of this silence unless it exists; returns 1 when it opened one.</summary>
    private async Task<int> OpenOfflineAsync(SilentCamera camera, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var incidentId = OfflineIncidentId(camera);
        var groupKey = OfflineGroupKey(camera.SiteId, camera.CameraId);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Housekeepers beside each other (replicas, a test beside the service) take turns on a camera.
        await IncidentStore.TakeTurnAsync(connection, $"{CameraOfflineKind}\n{camera.OrgId}\n{camera.CameraId}", cancellationToken);
        // Each check is a statement of its own, so it sees what the housekeeper before us committed:
        // still the same silence; its incident never opened, in whatever state it is now (an
        // operator may have resolved it by hand); and no earlier offline incident still open.
        if (!await RegistryStore.StillSilentSinceAsync(connection, camera.OrgId, camera.CameraId, camera.LastSeenAt, cancellationToken)
            || !await IncidentStore.CanOpenAsync(connection, camera.OrgId, incidentId, groupKey, cancellationToken))
        {
            return 0;
        }

        var note = string.Create(CultureInfo.InvariantCulture,
            $"camera {camera.CameraId} has sent nothing since {camera.LastSeenAt:O} (offline after {camera.Threshold} s)");
        var opened = new IncidentOpened
        {
            IncidentId = incidentId,
            OrgId = camera.OrgId,
            Version = 1,
            At = now,
            Actor = IncidentFolder.Actor,
            Domain = Domain.Platform,
            Kind = CameraOfflineKind,
            Severity = Severity.High,
            SiteId = camera.SiteId,
            CameraId = camera.CameraId,
            GroupKey = groupKey,
            Reason = note,
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        };
        var silences = await SilenceStore.ActiveAsync(connection, [camera.OrgId], now, cancellationToken);
        opened = opened with { SilenceId = Silences.Matching(silences, IncidentProjection.Apply(null, opened), now) };
        var events = new List<TracedIncidentEvent> { new(opened) };
        var changed = new List<IncidentState> { IncidentProjection.Apply(null, opened) };
        await AnnotateOpenIncidentsAsync(connection, camera.OrgId, camera.CameraId, note, now, events, changed, cancellationToken);
        await IncidentStore.AppendAsync(connection, events, changed, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return 1;
    }

    /// <summary>One incident per silence of the camera, whoever notices it first: the id is the camera and when it was last seen.</summary>
    private static string OfflineIncidentId(SilentCamera camera) =>
        "inc-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{camera.OrgId}\n{camera.CameraId}\n{camera.LastSeenAt.UtcTicks}")).AsSpan(0, 12));

    private static string OfflineGroupKey(string siteId, string cameraId) => $"{siteId}/camera:{cameraId}/{CameraOfflineKind}";

    private static async Task AnnotateOpenIncidentsAsync(
        NpgsqlConnection connection, string orgId, string cameraId, string note, DateTimeOffset now,
        List<TracedIncidentEvent> events, List<IncidentState> changed, CancellationToken cancellationToken)
    {
        var open = await IncidentStore.LockUnresolvedOfCameraAsync(connection, orgId, cameraId, CameraOfflineKind, cancellationToken);
        foreach (var incident in open)
        {
            changed.Add(Annotate(incident, now, note, events));
        }
    }

    /// <summary>The open camera-offline incidents whose camera sent after they opened.</summary>
    private async Task<List<(string OrgId, string IncidentId, string? CameraId)>> RecoveredAsync(CancellationToken cancellationToken)
    {
        var offline = await IncidentStore.UnresolvedCameraIncidentsAsync(dataSource, CameraOfflineKind, cancellationToken);
        if (offline.Count == 0)
        {
            return [];
        }
        Dictionary<(string OrgId, string CameraId), DateTimeOffset> lastSeen;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            lastSeen = await RegistryStore.LastSeenAsync(connection, [.. offline.Select(i => (i.OrgId, i.CameraId)).Distinct()], cancellationToken);
        }
        return [.. offline
            .Where(i => lastSeen.TryGetValue((i.OrgId, i.CameraId), out var seenAt) && seenAt > i.OpenedAt)
            .Select(i => (i.OrgId, i.IncidentId, (string?)i.CameraId))];
    }

    /// <summary>Resolves one camera-offline incident if its camera still counts as recovered; returns 1 when it did.</summary>
    private async Task<int> ResolveRecoveredAsync(string orgId, string incidentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Skipping a locked one: an operator acting on it right now goes first; the next pass looks again.
        if (await IncidentStore.ClaimUnresolvedAsync(connection, orgId, incidentId, cancellationToken) is not { CameraId: { } cameraId } incident)
        {
            return 0;
        }
        var lastSeen = await RegistryStore.LastSeenAsync(connection, [(orgId, cameraId)], cancellationToken);
        if (!lastSeen.TryGetValue((orgId, cameraId), out var seenAt) || seenAt <= incident.OpenedAt)
        {
            return 0;
        }
        var events = new List<TracedIncidentEvent>();
        var resolved = Resolve(incident, now,
            string.Create(CultureInfo.InvariantCulture, $"camera {incident.CameraId} sent observations again at {seenAt:O}"), events);
        await IncidentStore.AppendAsync(connection, events, [resolved], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return 1;
    }

    /// <summary>Adds fusion's resolution of <paramref name="incident"/> to its history; returns the incident after it.</summary>
    private static IncidentState Resolve(IncidentState incident, DateTimeOffset now, string reason, List<TracedIncidentEvent> events) =>
        Append(incident, new IncidentResolved
        {
            IncidentId = incident.IncidentId,
            OrgId = incident.OrgId,
            Version = incident.Version + 1,
            At = now,
            Actor = IncidentFolder.Actor,
            Reason = reason,
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        }, events);

    /// <summary>Adds fusion's note to <paramref name="incident"/>'s history; returns the incident after it.</summary>
    private static IncidentState Annotate(IncidentState incident, DateTimeOffset now, string note, List<TracedIncidentEvent> events) =>
        Append(incident, new IncidentAnnotated
        {
            IncidentId = incident.IncidentId,
            OrgId = incident.OrgId,
            Version = incident.Version + 1,
            At = now,
            Actor = IncidentFolder.Actor,
            Reason = note,
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        }, events);

    private static IncidentState Append(IncidentState incident, IncidentEvent e, List<TracedIncidentEvent> events)
    {
        events.Add(new TracedIncidentEvent(e));
        return IncidentProjection.Apply(incident, e);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Incident housekeeping's {Job} was interrupted by a transient database error; trying again at the next interval")]
    private partial void LogJobInterrupted(Exception error, string job);

    [LoggerMessage(Level = LogLevel.Error, Message = "Incident housekeeping's {Job} failed; trying again at the next interval")]
    private partial void LogJobFailed(Exception error, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera-offline housekeeping ({Step}) for camera {CameraId} of organization {OrgId} was interrupted by a transient database error; the other cameras go on, this one is tried again at the next interval")]
    private partial void LogCameraInterrupted(Exception error, string step, string? cameraId, string orgId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Camera-offline housekeeping ({Step}) failed for camera {CameraId} of organization {OrgId}; the other cameras go on, this one is tried again at the next interval")]
    private partial void LogCameraFailed(Exception error, string step, string? cameraId, string orgId);
}
