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
/// camera last delivered (<see cref="CameraActivity"/>).
/// </summary>
public sealed partial class CameraIdleWatcher(
    NpgsqlDataSource dataSource,
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
        var idle = new List<(string OrgId, string CameraId, DateTimeOffset LastEventAt)>();
        // A write round touching one of these cameras waits for this transaction (the row lock),
        // and a second ingest skips them: each silence is closed once.
        await using (var select = new NpgsqlCommand(
            $"""
            SELECT org_id, camera_id, COALESCE(last_event_at, last_seen_at) FROM camera_activity
            WHERE last_seen_at < $1 AND (idle_closed_since IS NULL OR idle_closed_since < last_seen_at)
            ORDER BY last_seen_at LIMIT {BatchSize}
            FOR UPDATE SKIP LOCKED
            """, connection))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = now.AddSeconds(-timeout) });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                idle.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
            }
        }
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

        await using (var mark = new NpgsqlCommand(
            """
            UPDATE camera_activity SET idle_closed_since = last_seen_at FROM unnest($1::text[], $2::text[]) AS c (org_id, camera_id)
            WHERE camera_activity.org_id = c.org_id AND camera_activity.camera_id = c.camera_id
            """,
            connection))
        {
            mark.Parameters.Add(new NpgsqlParameter { Value = idle.Select(c => c.OrgId).ToArray() });
            mark.Parameters.Add(new NpgsqlParameter { Value = idle.Select(c => c.CameraId).ToArray() });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
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
