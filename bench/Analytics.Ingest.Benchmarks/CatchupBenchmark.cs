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
/// re-reading their whole replay span (replay position to checkpoint). "A checkpoint newer than
/// the restart" alone is not enough: a consumer that writes its unchanged checkpoint for every
/// page it re-reads (as the rule services did until 9ede668) has written one after its first page.
///
///   dotnet run -c Release --project bench/Analytics.Ingest.Benchmarks -- catchup [rows]
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
    private static readonly TimeSpan _catchUpLimit = TimeSpan.FromMinutes(10);

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
            .AddFilter("Analytics.AppHost.Resources.postgres", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning));
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
            var from = await FirstReplayedAsync(dataSource, checkpoint);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {reader,-10} checkpoint {checkpoint.Position}, replay position {checkpoint.Replay}: {span:N0} rows to re-read after a restart{from}"));
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
        await using (var reader = await now.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            restartedAt = reader.GetFieldValue<DateTimeOffset>(0);
        }

        var clock = Stopwatch.StartNew();
        using var stopProbing = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var health = new HealthProbe(app, service, killedPid, clock);
        var probing = health.RunAsync(stopProbing.Token);
        TimeSpan? firstCheckpoint = null;
        TimeSpan? caughtUp = null;
        var nextReport = TimeSpan.FromSeconds(30);
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
            if (clock.Elapsed > nextReport)
            {
                // A slow catch-up says what it waits for: the checkpoint, the snapshot bound every reader reads below, and stuck sessions.
                nextReport += TimeSpan.FromSeconds(30);
                var waiting = await DatabaseStateAsync(dataSource);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed.TotalSeconds:F0} s: {service} checkpoint {checkpoint.Position} (updated {checkpoint.UpdatedAt:HH:mm:ss.fff}), marker {marker}; {waiting}; health: {health}"));
            }
            await Task.Delay(100);
        }
        // Healthy comes before caught up unless something is wrong; a minute more is plenty.
        stopProbing.CancelAfter(TimeSpan.FromMinutes(1));
        await probing;
        var after = await CheckpointAsync(dataSource, service);
        var caughtUpFigure = caughtUp is { } c
            ? string.Create(CultureInfo.InvariantCulture, $"{c.TotalSeconds:F1} s")
            : string.Create(CultureInfo.InvariantCulture, $"NOT within {_catchUpLimit.TotalMinutes} minutes");
        var firstFigure = firstCheckpoint is { } f ? string.Create(CultureInfo.InvariantCulture, $"{f.TotalSeconds:F1} s") : "none";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{service}: {total:N0} rows in the log; replay span {span:N0} rows (replay position {before.Replay}, checkpoint {before.Position}); start -> healthy {health}; start -> caught up {caughtUpFigure} (first checkpoint written after {firstFigure}); replay position afterwards {after.Replay}"));
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

    private static string? ProcessId(ResourceEvent e) =>
        e.Snapshot.Properties.SingleOrDefault(p => p.Name == "executable.pid")?.Value?.ToString();

    /// <summary>
    /// Starts a killed service again (Aspire's start command) and notes when its new process first
    /// answers <c>/health</c> with 200, as the AppHost's health check asks: through the service's
    /// endpoint in Aspire (the orchestrator's proxy), and straight at the port the new process
    /// listens on. Both, because on this machine the proxy now and then refused connections after
    /// a restart for as long as anyone waited while the process itself served and caught up, and
    /// Aspire's own health status then never turned healthy either.
    /// </summary>
    private sealed class HealthProbe(DistributedApplication app, string resource, string killedPid, Stopwatch clock)
    {
        private TimeSpan? _proxied;
        private TimeSpan? _direct;
        private string _lastProxied = "not probed";
        private string _lastDirect = "port not known";

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            try
            {
                await app.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
                using var proxied = app.CreateHttpClient(resource);
                proxied.Timeout = TimeSpan.FromSeconds(5);
                using var direct = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                Uri? directUri = null;
                while (_proxied is null || _direct is null)
                {
                    if (_proxied is null)
                    {
                        (var ok, _lastProxied) = await ProbeAsync(proxied, new Uri("/health", UriKind.Relative), cancellationToken);
                        _proxied = ok ? clock.Elapsed : null;
                    }
                    directUri ??= await ListeningUriAsync(cancellationToken);
                    if (_direct is null && directUri is not null)
                    {
                        (var ok, _lastDirect) = await ProbeAsync(direct, new Uri(directUri, "/health"), cancellationToken);
                        _direct = ok ? clock.Elapsed : null;
                    }
                    await Task.Delay(100, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{(_proxied is { } p ? $"{p.TotalSeconds:F1} s" : $"NOT YET ({_lastProxied})")} through Aspire's endpoint, {(_direct is { } d ? $"{d.TotalSeconds:F1} s" : $"NOT YET ({_lastDirect})")} at the process's own port");

        private static async Task<(bool Ok, string Outcome)> ProbeAsync(HttpClient client, Uri uri, CancellationToken cancellationToken)
        {
            try
            {
                using var response = await client.GetAsync(uri, cancellationToken);
                return (response.StatusCode == System.Net.HttpStatusCode.OK, $"{(int)response.StatusCode} from {client.BaseAddress ?? uri}");
            }
            catch (HttpRequestException e)
            {
                return (false, $"{e.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (false, $"no answer within 5 s from {client.BaseAddress ?? uri}");
            }
        }

        /// <summary>
        /// Where the new process listens: the orchestrator gives it its port in the environment
        /// (ASPNETCORE_URLS or HTTP_PORTS), which the resource's snapshot shows once it runs.
        /// </summary>
        private async Task<Uri?> ListeningUriAsync(CancellationToken cancellationToken)
        {
            using var brief = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            brief.CancelAfter(TimeSpan.FromMilliseconds(200));
            ResourceEvent running;
            try
            {
                running = await app.ResourceNotifications.WaitForResourceAsync(
                    resource, e => e.Snapshot.State?.Text == KnownResourceStates.Running && ProcessId(e) is { } pid && pid != killedPid, brief.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            var environment = running.Snapshot.EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
            if (environment.TryGetValue("ASPNETCORE_URLS", out var urls) && urls is not null)
            {
                var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal));
                if (first is not null)
                {
                    return new Uri(first.Replace("+", "localhost", StringComparison.Ordinal).Replace("*", "localhost", StringComparison.Ordinal));
                }
            }
            if (environment.TryGetValue("HTTP_PORTS", out var ports) && ports is not null && int.TryParse(ports.Split(';')[0], CultureInfo.InvariantCulture, out var port))
            {
                return new Uri($"http://localhost:{port}");
            }
            _lastDirect = $"no ASPNETCORE_URLS or HTTP_PORTS among {environment.Count} environment variables";
            return null;
        }
    }

    private sealed record Checkpoint(string Consumer, LogPosition Position, LogPosition Replay, DateTimeOffset UpdatedAt);

    private static async Task<Checkpoint> CheckpointAsync(NpgsqlDataSource dataSource, string consumer)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT tx_id, seq, replay_tx_id, replay_seq, updated_at FROM consumer_checkpoints WHERE consumer = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return new Checkpoint(consumer, LogPosition.Start, LogPosition.Start, DateTimeOffset.MinValue);
        }
        var position = new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
        var replay = reader.IsDBNull(2) ? position : new LogPosition(reader.GetFieldValue<ulong>(2), reader.GetInt64(3));
        return new Checkpoint(consumer, position, replay, reader.GetFieldValue<DateTimeOffset>(4));
    }

    /// <summary>Which camera's entry the replay starts at, and the consumer's replay state, to tell what held the replay position back.</summary>
    private static async Task<string> FirstReplayedAsync(NpgsqlDataSource dataSource, Checkpoint checkpoint)
    {
        if (checkpoint.Replay >= checkpoint.Position)
        {
            return "";
        }
        await using var command = dataSource.CreateCommand(
            """
            SELECT l.org_id, l.camera_id, l.type, l.occurred_at, c.replay_state::text
            FROM observation_log l, consumer_checkpoints c
            WHERE (l.tx_id, l.seq) > ($1, $2) AND c.consumer = $3
            ORDER BY l.tx_id, l.seq LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Replay.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Replay.Seq });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Consumer });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return "";
        }
        var state = reader.GetString(4);
        return string.Create(CultureInfo.InvariantCulture,
            $" (from {reader.GetString(0)}/{reader.GetString(1)} {reader.GetString(2)} at {reader.GetFieldValue<DateTimeOffset>(3):u}; replay state {(state.Length > 400 ? state[..400] + "..." : state)})");
    }

    /// <summary>The snapshot bound readers read below, and every session that is not idle, for a catch-up that takes too long.</summary>
    private static async Task<string> DatabaseStateAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT pg_snapshot_xmin(pg_current_snapshot())::text,
                   coalesce(string_agg(format('%s pid %s xid %s %s/%s for %s: %s', state, pid, backend_xid, wait_event_type, wait_event,
                       date_trunc('second', clock_timestamp() - xact_start), left(query, 80)), ' | '), 'none')
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return $"snapshot xmin {reader.GetString(0)}; busy sessions: {reader.GetString(1)}";
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
