using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Npgsql;

/// <summary>
/// Latency from ingest's acknowledgement to the signal committed, and on to the webhook received,
/// under a steady background load: background clients send ordinary track updates at the given
/// rate (no behaviour in them), and once a second a probe batch puts a new person into a
/// restricted zone of its own, which the antitheft service must turn into an intrusion signal,
/// fusion into a new incident, and the notifier into a signed webhook call to a receiver in this
/// process. The figures are the times from the probe's 200 to the signal's commit (seen by LISTEN
/// on the signals channel, then looked up) and to the webhook's arrival. At the end the resident
/// memory of every service is read from /proc.
/// </summary>
internal static class LatencyBenchmark
{
    public static async Task RunAsync(DistributedApplication app, NpgsqlDataSource dataSource, string orgId, string apiKey, int seconds, int rate)
    {
        using var api = app.CreateHttpClient(ResourceNames.Api);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        // A zone needs its camera, and the camera its site.
        (await api.PutAsJsonAsync("/v1/sites/site-1", new { name = "site-1", timeZone = "UTC" })).EnsureSuccessStatusCode();
        (await api.PutAsJsonAsync("/v1/cameras/probe-cam", new { siteId = "site-1", name = "probe-cam" })).EnsureSuccessStatusCode();
        // One restricted zone per probe (a 10 x 6 grid), so each probe opens an incident of its own
        // and is notified, instead of joining the previous probe's incident.
        var cells = Math.Min(60, seconds + 5);
        for (var cell = 0; cell < cells; cell++)
        {
            var (left, top) = (cell % 10 / 10.0, cell / 10 / 6.0);
            var zone = new
            {
                siteId = "site-1",
                cameraId = "probe-cam",
                name = $"stock room {cell}",
                kind = "restricted",
                polygon = new[] { new { x = left, y = top }, new { x = left + 0.1, y = top }, new { x = left + 0.1, y = top + 1 / 6.0 }, new { x = left, y = top + 1 / 6.0 } },
            };
            (await api.PutAsJsonAsync($"/v1/zones/probe-zone-{cell}", zone)).EnsureSuccessStatusCode();
        }
        using var receiver = new WebhookReceiver();
        (await api.PutAsJsonAsync("/v1/notification-rules/bench", new { name = "bench", channel = "webhook", minSeverity = "info", url = receiver.Url })).EnsureSuccessStatusCode();

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var background = RunBackgroundAsync(app, apiKey, rate, stop.Token);

        await using var listener = await dataSource.OpenConnectionAsync();
        await using (var listen = new NpgsqlCommand("LISTEN signals", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }
        using var ingest = app.CreateHttpClient(ResourceNames.Ingest);
        ingest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var latencies = new List<double>();
        var webhookLatencies = new List<double>();
        var probe = 0;
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await tick.WaitForNextTickAsync() && !stop.IsCancellationRequested && probe < cells)
        {
            var cell = probe;
            var track = $"intruder-{probe++}";
            var start = DateTimeOffset.UtcNow.AddSeconds(-3);
            // The foot point (bottom centre of the box) at the centre of the probe's cell.
            var (footX, footY) = (cell % 10 / 10.0 + 0.05, cell / 10 / 6.0 + 1 / 12.0);
            var frames = Enumerable.Range(0, 16)
                .Select(i => (Observation)Person("probe-cam", track, start.AddSeconds(i * 0.2), footX - 0.02, footY - 0.06, 0.04, 0.06))
                .ToArray();
            using var content = JsonContent(frames);
            using var response = await ingest.PostAsync("/v1/observations", content);
            response.EnsureSuccessStatusCode();
            var acknowledged = Stopwatch.GetTimestamp();
            if (await WaitForSignalAsync(dataSource, listener, orgId, track, TimeSpan.FromSeconds(10)))
            {
                var latency = Stopwatch.GetElapsedTime(acknowledged).TotalMilliseconds;
                latencies.Add(latency);
                if (latency > 250)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"probe {track}: {latency:F0} ms"));
                }
            }
            else
            {
                Console.WriteLine($"probe {track}: no signal within 10 s");
            }
            if (await receiver.WaitForZoneAsync($"probe-zone-{cell}", TimeSpan.FromSeconds(10)) is { } received)
            {
                var latency = Stopwatch.GetElapsedTime(acknowledged, received).TotalMilliseconds;
                webhookLatencies.Add(latency);
                if (latency > 250)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"probe {track}: webhook after {latency:F0} ms"));
                }
            }
            else
            {
                Console.WriteLine($"probe {track}: no webhook within 10 s");
            }
        }
        var sent = await background;

        // The first seconds include JIT and connection pools warming up; report them apart.
        const int WarmUpProbes = 10;
        var steady = latencies.Skip(WarmUpProbes).Order().ToList();
        latencies.Sort();
        double Percentile(double p) => latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(p * latencies.Count) - 1)];
        double SteadyPercentile(double p) => steady[(int)Math.Min(steady.Count - 1, Math.Ceiling(p * steady.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"background load: {sent / (double)seconds:N0} observations/s committed (target {rate:N0})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingest ack -> signal committed: p50 {Percentile(0.5):F1} ms, p99 {Percentile(0.99):F1} ms, max {latencies[^1]:F1} ms over {latencies.Count} probes"));
        if (steady.Count > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  after the first {WarmUpProbes} probes: p50 {SteadyPercentile(0.5):F1} ms, p99 {SteadyPercentile(0.99):F1} ms over {steady.Count} probes"));
        }
        if (webhookLatencies.Count > WarmUpProbes)
        {
            var all = webhookLatencies.Order().ToList();
            var steadyHooks = webhookLatencies.Skip(WarmUpProbes).Order().ToList();
            static double At(List<double> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ingest ack -> webhook received: p50 {At(all, 0.5):F1} ms, p99 {At(all, 0.99):F1} ms, max {all[^1]:F1} ms over {all.Count} probes"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  after the first {WarmUpProbes} probes: p50 {At(steadyHooks, 0.5):F1} ms, p99 {At(steadyHooks, 0.99):F1} ms over {steadyHooks.Count} probes"));
        }
        Console.WriteLine($"webhook calls received: {receiver.Calls} for {probe} probes");
        foreach (var service in ResourceNames.Services)
        {
            Console.WriteLine($"resident memory {service,-10} {ResidentMegabytes(service)}");
        }
    }

    /// <summary>Ordinary traffic: 20 cameras of people walking where no zone is, at a steady rate.</summary>
    private static async Task<long> RunBackgroundAsync(DistributedApplication app, string apiKey, int rate, CancellationToken cancellationToken)
    {
        const int Clients = 4;
        const int BatchesPerSecondPerClient = 10;
        var batch = Math.Max(1, rate / (Clients * BatchesPerSecondPerClient));
        long sent = 0;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            using var client = app.CreateHttpClient(ResourceNames.Ingest);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / BatchesPerSecondPerClient));
            var frame = 0;
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    var now = DateTimeOffset.UtcNow;
                    var observations = Enumerable.Range(0, batch)
                        .Select(i => (Observation)Person($"cam-{c}-{i % 5}", $"walker-{c}-{i}", now, 0.6 + (frame % 30) / 100.0))
                        .ToArray();
                    frame++;
                    using var content = JsonContent(observations);
                    using var response = await client.PostAsync("/v1/observations", content, cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Add(ref sent, batch);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }));
        return sent;
    }

    private static async Task<bool> WaitForSignalAsync(NpgsqlDataSource dataSource, NpgsqlConnection listener, string orgId, string track, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM signals WHERE org_id = $1 AND $2 = ANY (track_ids))");
            command.Parameters.Add(new NpgsqlParameter { Value = orgId });
            command.Parameters.Add(new NpgsqlParameter { Value = track });
            if ((bool)(await command.ExecuteScalarAsync())!)
            {
                return true;
            }
            await listener.WaitAsync(timeout - deadline.Elapsed);
        }
        return false;
    }

    private static TrackUpdate Person(string camera, string track, DateTimeOffset at, double x, double y = 0.3, double width = 0.1, double height = 0.4) => new()
    {
        SchemaVersion = 1,
        SiteId = "site-1",
        CameraId = camera,
        OccurredAt = at,
        TrackId = track,
        ObjectClass = "person",
        Confidence = 0.9,
        Box = new BoundingBox(x, y, width, height),
    };

    /// <summary>A webhook endpoint on loopback that notes when the first call for each zone arrived.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly System.Net.HttpListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<long>> _arrivals = new();
        private int _calls;

        public WebhookReceiver()
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(ReceiveAsync);
        }

        public string Url { get; }

        public int Calls => _calls;

        public async Task<long?> WaitForZoneAsync(string zoneId, TimeSpan timeout)
        {
            var arrival = _arrivals.GetOrAdd(zoneId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            return await Task.WhenAny(arrival, Task.Delay(timeout)) == arrival ? arrival.Result : null;
        }

        private async Task ReceiveAsync()
        {
            while (_listener.IsListening)
            {
                System.Net.HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is System.Net.HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                var arrived = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref _calls);
                using (var document = await JsonDocument.ParseAsync(context.Request.InputStream))
                {
                    if (document.RootElement.TryGetProperty("incident", out var incident) && incident.TryGetProperty("zoneId", out var zone) && zone.GetString() is { } zoneId)
                    {
                        _arrivals.GetOrAdd(zoneId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(arrived);
                    }
                }
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var socket = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            socket.Start();
            return ((System.Net.IPEndPoint)socket.LocalEndpoint).Port;
        }

        public void Dispose() => _listener.Close();
    }

    private static ByteArrayContent JsonContent(Observation[] observations)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(observations, AnalyticsJsonContext.Default.ObservationArray));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>VmRSS of the service's process (the one whose command line ends in its assembly name).</summary>
    private static string ResidentMegabytes(string service)
    {
        var assembly = "Analytics." + char.ToUpperInvariant(service[0]) + service[1..];
        foreach (var dir in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains($"/{assembly} ", StringComparison.Ordinal) || cmdline.TrimEnd().EndsWith($"/{assembly}", StringComparison.Ordinal) || cmdline.Contains($"{assembly}.dll", StringComparison.Ordinal))
                {
                    var rss = File.ReadLines(Path.Combine(dir, "status")).First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                    var kb = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                    return string.Create(CultureInfo.InvariantCulture, $"{kb / 1024.0:F0} MB");
                }
            }
            catch (IOException)
            {
            }
        }
        return "(process not found)";
    }
}
