using Analytics.Data.Registry;
using Analytics.EventLog;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Ingest.Observations;

/// <summary>
/// The idle fallback. A camera that has sent nothing at all, heartbeats included, for
/// <see cref="RulesSettings.IdleTimeoutSeconds"/> of wall-clock time looks the same as one whose
/// uplink is down; rather than keep its open behaviours (and the rule services' replay point)
/// forever, ingest appends a <c>camera_idle</c> entry to the log. The rule services end the
/// camera's open state where they read it, so a restart or a replay ends it at the same place and
/// signals nothing twice. Ingest owns it because ingest is the log's writer and records when each
/// camera last delivered (<see cref="RegistryStore.TouchCamerasAsync"/>).
/// </summary>
public sealed partial class CameraIdleWatcher(
    [FromKeyedServices(HousekeepingDatabase.Key)] NpgsqlDataSource dataSource,
    IOptions<RulesSettings> settings,
    TimeProvider clock,
    ILogger<CameraIdleWatcher> logger) : BackgroundService
{
    private const int BatchSize = 500;

    /// <summary>How often to look: a sixth of the timeout, so a close comes at most that late, between 1 s and a minute.</summary>
    public TimeSpan Interval => TimeSpan.FromSeconds(Math.Clamp(settings.Value.IdleTimeoutSeconds / 6.0, 1, 60));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                while (await CloseIdleAsync(clock.GetUtcNow(), stoppingToken) == BatchSize)
                {
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Nothing was written (one transaction); the next pass finds the same cameras.
                LogFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// Closes up to a batch of cameras silent since before <paramref name="now"/> less the
    /// timeout and not closed since they last sent: one <c>camera_idle</c> log entry each, in one
    /// transaction with the mark that they are closed.
    /// </summary>
    /// <returns>How many cameras were closed.</returns>
    public async Task<int> CloseIdleAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var timeout = settings.Value.IdleTimeoutSeconds;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // A write round touching one of these cameras waits for this transaction (the row lock),
        // and a second ingest skips them: each silence is closed once.
        var idle = await RegistryStore.ClaimIdleCamerasAsync(connection, now.AddSeconds(-timeout), BatchSize, cancellationToken);
        if (idle.Count == 0)
        {
            return 0;
        }

        var ids = new Guid[idle.Count];
        LogRows.CreateIds(ids, now);
        using (var rows = new LogRows(idle.Count, idle.Count * 160))
        {
            for (var i = 0; i < idle.Count; i++)
            {
                var (orgId, cameraId, lastEventAt) = idle[i];
                rows.Add(ids[i], orgId, EventTypes.CameraIdle, EventTypes.CurrentVersion.CameraIdle, cameraId, lastEventAt,
                    traceParent: null, traceState: null,
                    new CameraIdle { CameraId = cameraId, LastEventAt = lastEventAt, IdleTimeoutSeconds = timeout }, AnalyticsJsonContext.Default.CameraIdle);
            }
            await PostgresEventLog.AppendAsync(connection, [rows], cancellationToken);
        }

        await RegistryStore.MarkIdleClosedAsync(connection, idle, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        IngestMetrics.IdleCloses.Add(idle.Count);
        foreach (var (orgId, cameraId, lastEventAt) in idle)
        {
            LogClosed(orgId, cameraId, lastEventAt, timeout);
        }
        return idle.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Camera {CameraId} of {OrgId} sent nothing for {TimeoutSeconds} s; its open behaviours are closed as of {LastEventAt:O}")]
    private partial void LogClosed(string orgId, string cameraId, DateTimeOffset lastEventAt, int timeoutSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing idle cameras failed; trying again at the next interval")]
    private partial void LogFailed(Exception error);
}
