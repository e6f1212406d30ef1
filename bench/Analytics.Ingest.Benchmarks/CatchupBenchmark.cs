using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Analytics.EventLog;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

/// <summary>
/// How long a rule service takes to catch up after a restart with a day of data in the
/// observation log. Two organizations' data is appended straight into the log with binary COPY, in
/// event-time order as live data would arrive: org A ("abandoned") has one camera whose only person
/// track stops after 30 s at the start of the day, never to send again; org B has 10 cameras of
/// people walking for the whole day, ending a minute ago. Where ingest's idle fallback would have
/// written it (after the rows 30 minutes of event time past org A's last observation) one
/// <c>camera_idle</c> entry for org A's camera is appended; code that does not know the type
/// ignores it. Once antitheft, safety and education have read everything, safety and then
/// antitheft are killed (SIGKILL), started again through Aspire's start command, and timed until
/// they have read past a marker entry appended while they were down: they reach it only after
/// re-reading their whole replay span (replay position to checkpoint).
/// </summary>
internal static class CatchupBenchmark
{
    private const int Cameras = 10;
    private const int FrameSeconds = 2;

    // A person walks through a camera's view in 4 minutes, one frame every 2 s.
    private const int TrackFrames = 120;
    private const int Steps = 86_400 / FrameSeconds;
    private const int RowsPerTransaction = 20_000;
    private const int AbandonedTrackSeconds = 30;

    // Ingest's default Rules:IdleTimeoutSeconds; the fallback closes after this much silence.
    private static readonly TimeSpan _idleTimeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan _catchUpLimit = TimeSpan.FromMinutes(15);

    // Literal rather than EventTypes.CameraIdle: the benchmark also runs against code before the type existed.
    private const string CameraIdleType = "camera_idle";

    // A type no consumer reads: it moves a reader's checkpoint and nothing else.
    private const string MarkerType = "bench_marker";

    private static readonly string[] _readers = [ResourceNames.Antitheft, ResourceNames.Safety, ResourceNames.Education];

    public static async Task RunAsync(string[] args)
    {
        var requested = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_300_000;
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"analytics-bench-{Guid.NewGuid():N}");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(
            ["Postgres:Mode=local", "Simulator:Enabled=false", $"Postgres:DataDirectory={dataDirectory}"]);
        // The orchestrator's health probes fail by design while a killed service is down.
        builder.Services.AddLogging(logging => logging
            .AddFilter("Aspire", LogLevel.Warning)
            .AddFilter("Analytics.AppHost.Resources", LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        try
        {
            await using var app = await builder.BuildAsync();
            using (var startup = new CancellationTokenSource(TimeSpan.FromMinutes(4)))
            {
                await app.StartAsync(startup.Token);
                await Task.WhenAll(ResourceNames.Services.Select(name => app.ResourceNotifications.WaitForResourceHealthyAsync(name, startup.Token)));
            }
            await using var dataSource = NpgsqlDataSource.Create((await app.GetConnectionStringAsync(ResourceNames.Database))!);
            await RunAsync(app, dataSource, requested);
            await app.StopAsync();
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    private static async Task RunAsync(DistributedApplication app, NpgsqlDataSource dataSource, int requested)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var (orgA, orgB) = ($"bench-abandoned-{run}", $"bench-streaming-{run}");
        await using (var seed = dataSource.CreateBatch())
        {
            foreach (var org in new[] { orgA, orgB })
            {
                seed.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO organizations (org_id, name) VALUES ($1, $1)") { Parameters = { new() { Value = org } } });
            }
            await seed.ExecuteNonQueryAsync();
        }

        // 1. A day of data, ending a minute ago.
        var appendClock = Stopwatch.StartNew();
        var (appended, dayStart) = await AppendDayAsync(dataSource, orgA, orgB, requested);
        var appendSeconds = appendClock.Elapsed.TotalSeconds;
        var last = await NewestAsync(dataSource);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"appended {appended:N0} rows ({requested:N0} asked; event time {dayStart:u} to {dayStart.AddDays(1):u}) in {appendSeconds:F1} s ({appended / appendSeconds:N0} rows/s, transactions of {RowsPerTransaction:N0}) while the rule services read them"));

        // 2. Every reader of the observation log past its last row.
        var firstRead = await WaitAsync(() => AllPastAsync(dataSource, last), _catchUpLimit);
        Console.WriteLine(firstRead is { } read
            ? string.Create(CultureInfo.InvariantCulture, $"antitheft, safety and education had read every row {read.TotalSeconds:F1} s after the last append ({(appendSeconds + read.TotalSeconds):F1} s after the first)")
            : $"antitheft, safety and education had NOT read every row {_catchUpLimit.TotalMinutes} minutes after the last append; the figures below are not meaningful");
        foreach (var reader in _readers)
        {
            var checkpoint = await CheckpointAsync(dataSource, reader);
            var span = await CountBetweenAsync(dataSource, checkpoint.Replay, checkpoint.Position);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {reader,-10} checkpoint {checkpoint.Position}, replay position {checkpoint.Replay}: {span:N0} rows to re-read after a restart"));
        }

        // 3. A hard restart of each rule service in turn.
        foreach (var service in new[] { ResourceNames.Safety, ResourceNames.Antitheft })
        {
            await RestartAsync(app, dataSource, service);
        }
    }

    /// <summary>
    /// Appends the day in event-time order across cameras, in transactions of
    /// <see cref="RowsPerTransaction"/> rows, and returns how many rows and where the day starts.
    /// </summary>
    private static async Task<(long Rows, DateTimeOffset DayStart)> AppendDayAsync(NpgsqlDataSource dataSource, string orgA, string orgB, int requested)
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-1);
        var dayEnd = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var dayStart = dayEnd.AddDays(-1);
        // Steps between two people entering a camera's view, so that the day holds about the rows asked for.
        var trackEvery = (double)Cameras * Steps * TrackFrames / requested;
        var active = Enumerable.Range(0, Cameras).Select(_ => new List<Walker>()).ToArray();
        var nextTrack = new int[Cameras];

        const string AbandonedCamera = "abandoned-cam";
        var abandonedLast = dayStart.AddSeconds(AbandonedTrackSeconds);
        var idleWritten = false;

        var batch = new List<LogRecord>(RowsPerTransaction);
        long rows = 0;
        for (var step = 0; step < Steps; step++)
        {
            var stepTime = dayStart.AddSeconds(step * FrameSeconds);
            if (!idleWritten && stepTime > abandonedLast + _idleTimeout)
            {
                var payload = Encoding.UTF8.GetBytes($$"""{"type":"{{CameraIdleType}}","schemaVersion":1,"cameraId":"{{AbandonedCamera}}"}""");
                batch.Add(new LogRecord(Guid.CreateVersion7(), orgA, CameraIdleType, 1, AbandonedCamera, abandonedLast, null, null, payload));
                idleWritten = true;
            }
            if (step * FrameSeconds <= AbandonedTrackSeconds)
            {
                var at = stepTime;
                batch.Add(Record(orgA, Person("site-a", AbandonedCamera, "shopper-1", at, 0.3 + (step * 0.002), 0.4)));
            }
            for (var camera = 0; camera < Cameras; camera++)
            {
                // Cameras interleave within the step, so event time rises through the whole stream.
                var at = stepTime.AddMilliseconds(camera * 150);
                var walkers = active[camera];
                while (Math.Round(nextTrack[camera] * trackEvery) <= step)
                {
                    var track = nextTrack[camera]++;
                    walkers.Add(new Walker($"p-{camera}-{track}", 0.2 + (track % 5 * 0.1), track % 2 == 0));
                }
                foreach (var walker in walkers)
                {
                    var progress = (double)walker.Frames / TrackFrames;
                    var x = walker.LeftToRight ? 0.05 + (0.8 * progress) : 0.85 - (0.8 * progress);
                    batch.Add(Record(orgB, Person("site-b", $"cam-{camera}", walker.TrackId, at, x, walker.Y)));
                    walker.Frames++;
                }
                walkers.RemoveAll(w => w.Frames == TrackFrames);
            }
            if (batch.Count >= RowsPerTransaction)
            {
                rows += await AppendAsync(dataSource, batch);
            }
        }
        rows += await AppendAsync(dataSource, batch);
        return (rows, dayStart);
    }

    private sealed class Walker(string trackId, double y, bool leftToRight)
    {
        public string TrackId { get; } = trackId;

        public double Y { get; } = y;

        public bool LeftToRight { get; } = leftToRight;

        public int Frames { get; set; }
    }

    private static TrackUpdate Person(string site, string camera, string track, DateTimeOffset at, double x, double y) => new()
    {
        SchemaVersion = 1,
        SiteId = site,
        CameraId = camera,
        OccurredAt = at,
        TrackId = track,
        ObjectClass = "person",
        Confidence = 0.9,
        // Upright and walking slowly: no fall, no running, and no zone anywhere.
        Box = new BoundingBox(x, y, 0.08, 0.3),
    };

    private static LogRecord Record(string orgId, TrackUpdate update) =>
        new(Guid.CreateVersion7(), orgId, EventTypes.TrackUpdate, 1, update.CameraId, update.OccurredAt, null, null,
            JsonSerializer.SerializeToUtf8Bytes(update, AnalyticsJsonContext.Default.Observation));

    private static async Task<int> AppendAsync(NpgsqlDataSource dataSource, List<LogRecord> batch)
    {
        if (batch.Count == 0)
        {
            return 0;
        }
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await PostgresEventLog.AppendAsync(connection, batch, CancellationToken.None);
        await transaction.CommitAsync();
        var count = batch.Count;
        batch.Clear();
        return count;
    }

    private static async Task RestartAsync(DistributedApplication app, NpgsqlDataSource dataSource, string service)
    {
        var before = await CheckpointAsync(dataSource, service);
        var span = await CountBetweenAsync(dataSource, before.Replay, before.Position);
        var total = await CountBetweenAsync(dataSource, LogPosition.Start, before.Position);

        using var timeout = new CancellationTokenSource(_catchUpLimit);
        var killedPid = await KillAsync(app, service, timeout.Token);
        // Appended while the service is down: it reads past it only after its whole replay span.
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var payload = Encoding.UTF8.GetBytes($$"""{"type":"{{MarkerType}}"}""");
            await PostgresEventLog.AppendAsync(connection, [new LogRecord(Guid.CreateVersion7(), "bench-marker", MarkerType, 1, "marker", DateTimeOffset.UtcNow, null, null, payload)], CancellationToken.None);
            await transaction.CommitAsync();
        }
        var marker = await NewestAsync(dataSource);
        DateTimeOffset restartedAt;
        await using (var now = dataSource.CreateCommand("SELECT clock_timestamp()"))
        {
            restartedAt = (DateTimeOffset)(await now.ExecuteScalarAsync())!;
        }

        var clock = Stopwatch.StartNew();
        var healthy = StartAsync(app, service, killedPid, clock, timeout.Token);
        TimeSpan? firstCheckpoint = null;
        TimeSpan? caughtUp = null;
        while (!timeout.IsCancellationRequested)
        {
            var checkpoint = await CheckpointAsync(dataSource, service);
            if (firstCheckpoint is null && checkpoint.UpdatedAt > restartedAt)
            {
                firstCheckpoint = clock.Elapsed;
            }
            if (checkpoint.UpdatedAt > restartedAt && checkpoint.Position >= marker)
            {
                caughtUp = clock.Elapsed;
                break;
            }
            await Task.Delay(100);
        }
        var healthySeconds = (await healthy).TotalSeconds;
        var after = await CheckpointAsync(dataSource, service);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{service}: {total:N0} rows in the log; replay span {span:N0} rows (replay position {before.Replay}, checkpoint {before.Position}); start -> healthy {healthySeconds:F1} s; start -> caught up {(caughtUp is { } c ? $"{c.TotalSeconds:F1} s" : $"NOT within {_catchUpLimit.TotalMinutes} minutes")} (first checkpoint written {(firstCheckpoint is { } f ? $"{f.TotalSeconds:F1}" : "-")} s); replay position afterwards {after.Replay}"));
    }

    /// <summary>SIGKILL, as PlatformFixture does: whatever the service had in memory and not committed is gone.</summary>
    private static async Task<string> KillAsync(DistributedApplication app, string resource, CancellationToken cancellationToken)
    {
        var running = await app.ResourceNotifications.WaitForResourceAsync(
            resource, e => e.Snapshot.State?.Text == KnownResourceStates.Running, cancellationToken);
        var pid = ProcessId(running)!;
        using (var process = Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture)))
        {
            process.Kill(entireProcessTree: true);
        }
        await app.ResourceNotifications.WaitForResourceAsync(resource, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cancellationToken);
        return pid;
    }

    /// <summary>
    /// Starts a killed service again and returns when its new process ran healthy. The start
    /// command returns while the resource still shows the killed process as Exited, so the wait is
    /// for a Running, healthy snapshot that names another process.
    /// </summary>
    private static async Task<TimeSpan> StartAsync(DistributedApplication app, string resource, string killedPid, Stopwatch clock, CancellationToken cancellationToken)
    {
        await app.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        await app.ResourceNotifications.WaitForResourceAsync(
            resource,
            e => e.Snapshot.State?.Text == KnownResourceStates.Running
                && ProcessId(e) is { } pid && pid != killedPid
                && e.Snapshot.HealthStatus == HealthStatus.Healthy,
            cancellationToken);
        return clock.Elapsed;
    }

    private static string? ProcessId(ResourceEvent e) =>
        e.Snapshot.Properties.SingleOrDefault(p => p.Name == "executable.pid")?.Value?.ToString();

    private sealed record Checkpoint(LogPosition Position, LogPosition Replay, DateTimeOffset UpdatedAt);

    private static async Task<Checkpoint> CheckpointAsync(NpgsqlDataSource dataSource, string consumer)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT tx_id, seq, replay_tx_id, replay_seq, updated_at FROM consumer_checkpoints WHERE consumer = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return new Checkpoint(LogPosition.Start, LogPosition.Start, DateTimeOffset.MinValue);
        }
        var position = new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
        var replay = reader.IsDBNull(2) ? position : new LogPosition(reader.GetFieldValue<ulong>(2), reader.GetInt64(3));
        return new Checkpoint(position, replay, reader.GetFieldValue<DateTimeOffset>(4));
    }

    private static async Task<LogPosition> NewestAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT tx_id, seq FROM observation_log ORDER BY tx_id DESC, seq DESC LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)) : LogPosition.Start;
    }

    /// <summary>Rows after <paramref name="after"/> up to and with <paramref name="upTo"/>, in read order.</summary>
    private static async Task<long> CountBetweenAsync(NpgsqlDataSource dataSource, LogPosition after, LogPosition upTo)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM observation_log WHERE (tx_id, seq) > ($1, $2) AND (tx_id, seq) <= ($3, $4)");
        command.Parameters.Add(new NpgsqlParameter { Value = after.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = after.Seq });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = upTo.Seq });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<bool> AllPastAsync(NpgsqlDataSource dataSource, LogPosition last)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM consumer_checkpoints WHERE consumer = ANY($1) AND (tx_id, seq) >= ($2, $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = _readers });
        command.Parameters.Add(new NpgsqlParameter { Value = last.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = last.Seq });
        return (long)(await command.ExecuteScalarAsync())! == _readers.Length;
    }

    /// <summary>Polls every 100 ms until <paramref name="done"/> or the limit; a benchmark's poll, so a sleep is fine.</summary>
    private static async Task<TimeSpan?> WaitAsync(Func<Task<bool>> done, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (await done())
            {
                return clock.Elapsed;
            }
            await Task.Delay(100);
        }
        return null;
    }
}
