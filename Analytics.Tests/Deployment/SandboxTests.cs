using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Tests.Platform;
using Npgsql;
using Xunit.Abstractions;

namespace Analytics.Tests.Deployment;

/// <summary>
/// Every service published and run as the hardened compose overlay runs it (uid/gid 65532, a
/// read-only root, a size-limited /tmp, no capabilities, no-new-privs, its own PID namespace, its
/// CPU and memory limits) against the real Postgres: it must become healthy and do its job, while
/// the kernel, asked from outside, confirms each restriction.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class SandboxTests(PlatformFixture platform, SandboxedPlatform sandboxed, ITestOutputHelper output) : IClassFixture<SandboxedPlatform>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string NoCapabilities = "0000000000000000";

    // Without root or bwrap nothing is started: each test reports itself skipped with the reason.
    public Task InitializeAsync() =>
        Sandbox.WhyUnavailableHere is null ? sandboxed.EnsureStartedAsync(platform) : Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;

    [SkippableFact]
    public void Every_service_runs_as_65532_without_capabilities_or_privilege_gain_in_its_own_pid_namespace()
    {
        Sandbox.SkipUnlessAvailable();
        Assert.All(SandboxedPlatform.Services, service =>
        {
            var process = sandboxed.View(service);

            // Real, effective, saved and filesystem ids, as the host sees them: not root mapped to 65532.
            Assert.Equal(["65532", "65532", "65532", "65532"], process.Field("Uid"));
            Assert.Equal(["65532", "65532", "65532", "65532"], process.Field("Gid"));
            Assert.Equal(NoCapabilities, process.Status["CapEff"]);
            Assert.Equal(NoCapabilities, process.Status["CapPrm"]);
            Assert.Equal(NoCapabilities, process.Status["CapBnd"]);
            Assert.Equal(NoCapabilities, process.Status["CapAmb"]);
            Assert.Equal("1", process.Status["NoNewPrivs"]);
            // One pid on the host, another (small) one in its own namespace.
            var pids = process.Field("NSpid");
            Assert.Equal(2, pids.Length);
            Assert.Equal(process.Pid.ToString(CultureInfo.InvariantCulture), pids[0]);
            Assert.True(int.Parse(pids[1], CultureInfo.InvariantCulture) < 10, $"{service}: pid {pids[1]} in its namespace");
        });
    }

    [SkippableFact]
    public void Every_service_sees_a_read_only_root_and_writes_its_keys_to_a_size_limited_tmp()
    {
        Sandbox.SkipUnlessAvailable();
        Assert.All(SandboxedPlatform.Services, service =>
        {
            var process = sandboxed.View(service);
            var tmpSize = sandboxed.Overlay.Services[service].Tmpfs.Single(t => t.Path == "/tmp").SizeBytes!.Value;

            Assert.Contains("ro", process.Mount("/").Options);
            var tmp = process.Mount("/tmp");
            Assert.Equal("tmpfs", tmp.Type);
            Assert.Contains($"size={tmpSize / 1024}k", tmp.SuperOptions);
            // Data protection keys, which the authentication stack creates at start-up, go to /tmp.
            Assert.NotEmpty(Directory.GetFiles($"/proc/{process.Pid}/root/tmp/data-protection-keys", "key-*.xml"));
        });
    }

    [SkippableFact]
    public async Task In_the_sandbox_a_write_outside_tmp_fails_and_tmp_takes_no_more_than_its_size()
    {
        Sandbox.SkipUnlessAvailable();
        var sandbox = sandboxed.SandboxOf(ResourceNames.Ingest);
        var tmpSize = sandbox.Hardened.Tmpfs.Single(t => t.Path == "/tmp").SizeBytes!.Value;
        // A folder the sandbox user owns, so only the read-only mount can stop the write, not permissions.
        var owned = Path.Combine(sandboxed.PublishRoot, "owned-by-the-service-user");
        Directory.CreateDirectory(owned);
        var (uid, gid) = sandbox.User;
        using (var chown = System.Diagnostics.Process.Start("chown", [$"{uid}:{gid}", owned]))
        {
            await chown.WaitForExitAsync();
            Assert.Equal(0, chown.ExitCode);
        }

        var outside = await RunShellAsync(sandbox, $"echo data > {owned}/file");
        var etc = await RunShellAsync(sandbox, "echo data > /etc/analytics-sandbox-probe");
        var app = await RunShellAsync(sandbox, $"echo data > {sandboxed.AppDirectory(ResourceNames.Ingest)}/appsettings.json");
        var tmp = await RunShellAsync(sandbox, "echo data > /tmp/probe && cat /tmp/probe");
        var overfill = await RunShellAsync(sandbox, $"head -c {tmpSize + (1 << 20)} /dev/zero > /tmp/fill");

        Assert.All([outside, etc, app], write =>
        {
            Assert.NotEqual(0, write.ExitCode);
            Assert.Contains("Read-only file system", write.Output, StringComparison.Ordinal);
        });
        Assert.False(File.Exists(Path.Combine(owned, "file")));
        Assert.Equal((0, "data\n"), (tmp.ExitCode, tmp.Output));
        Assert.NotEqual(0, overfill.ExitCode);
        Assert.Contains("No space left on device", overfill.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_image_health_probe_finds_every_service_healthy_from_inside_its_sandbox()
    {
        Sandbox.SkipUnlessAvailable();
        foreach (var service in SandboxedPlatform.Services)
        {
            using var client = sandboxed.Client(service);
            var url = new Uri(client.BaseAddress!, "/health");

            var probe = await sandboxed.SandboxOf(service).RunAsync(
                sandboxed.ProbeDirectory, [SandboxedPlatform.Dotnet, "exec", Path.Combine(sandboxed.ProbeDirectory, "Analytics.HealthProbe.dll"), url.ToString(), "4"], Timeout);

            Assert.True(probe.ExitCode == 0, $"{service}: exit {probe.ExitCode}: {probe.Output}");
            Assert.Equal("200 Healthy\n", probe.Output);
        }
    }

    [SkippableFact]
    public async Task Ingest_commits_a_batch_and_the_analytics_services_consume_it_within_their_memory_limits()
    {
        Sandbox.SkipUnlessAvailable();
        // The API stores the site, camera and zone, ingest the scene, antitheft finds the
        // loiterer; safety and education read the same entries. Ground truth: p-1 stays 130 s at
        // the shelf, one signal.
        using var api = Authorized(sandboxed.Client(ResourceNames.Api));
        using (var site = await api.PutAsJsonAsync("/v1/sites/store-1", new { name = "store-1", timeZone = "Europe/Berlin" }))
        {
            Assert.Equal(HttpStatusCode.Created, site.StatusCode);
        }
        // A camera of its own: each camera has its own clock, and the queue test's frames of the
        // default camera are stamped now, which would make this scene's older frames late there.
        using (var camera = await api.PutAsJsonAsync("/v1/cameras/cam-loiter", new { siteId = "store-1", name = "cam-loiter" }))
        {
            Assert.Equal(HttpStatusCode.Created, camera.StatusCode);
        }
        using (var zone = await api.PutAsJsonAsync("/v1/zones/shelf-1", new
        {
            siteId = "store-1",
            cameraId = "cam-loiter",
            name = "shelf-1",
            kind = "shelf",
            polygon = new[] { new { x = 0.0, y = 0.0 }, new { x = 0.5, y = 0.0 }, new { x = 0.5, y = 1.0 }, new { x = 0.0, y = 1.0 } },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, zone.StatusCode);
        }
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddMinutes(-4);
        var frames = Enumerable.Range(0, 261).Select(i => TestObservations.Track(start.AddSeconds(i * 0.5), "p-1", 0.2, 0.3, camera: "cam-loiter")).ToList();

        using var ingest = Authorized(sandboxed.Client(ResourceNames.Ingest));
        using var response = await ingest.PostAsync("/v1/observations", TestObservations.Batch(frames));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(frames.Count, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        var signal = await PollAsync(
            "SELECT kind || ' ' || array_to_string(track_ids, ',') || ' ' || zone_id FROM signals WHERE org_id = $1", s => s is not null);
        Assert.Equal("loitering p-1 shelf-1", signal);
        // Only the observation log's readers: fusion's and the notifier's checkpoints are positions
        // in the signal and incident logs, which pass this one as soon as they read the signal.
        const string Caught = """
            SELECT string_agg(consumer, ',' ORDER BY consumer) FROM consumer_checkpoints
            WHERE consumer IN ('antitheft', 'education', 'safety')
              AND (tx_id, seq) >= (SELECT tx_id, seq FROM observation_log WHERE org_id = $1 ORDER BY tx_id DESC, seq DESC LIMIT 1)
            """;
        Assert.Equal("antitheft,education,safety", await PollAsync(Caught, c => c as string == "antitheft,education,safety"));

        Assert.All(SandboxedPlatform.Services, service =>
        {
            var limit = sandboxed.Overlay.Services[service].MemoryBytes!.Value;
            var peak = sandboxed.View(service).PeakResidentBytes;
            output.WriteLine($"{service}: peak resident memory {peak >> 20} MiB of its {limit >> 20} MiB limit");
            Assert.True(peak < limit, $"{service} peaked at {peak >> 20} MiB, over its {limit >> 20} MiB limit");
            // A write refused by the read-only root, a key folder that could not be created, a
            // missing time zone: each would have been logged as a warning or worse.
            Assert.Empty(Problems(sandboxed.Process(service).Output));
        });
    }

    [SkippableFact]
    public async Task Ingest_answers_503_with_retry_after_while_its_write_queue_is_full_and_accepts_again_after()
    {
        Sandbox.SkipUnlessAvailable();
        using var ingest = Authorized(sandboxed.Client(ResourceNames.Ingest));
        var now = DateTimeOffset.UtcNow;
        // Each batch a camera of its own, in event-time order as a tracker sends it, so no rule
        // service sees a late observation (which it would log as a warning).
        List<string> Frames(string track) => [.. Enumerable.Range(0, SandboxedPlatform.MaxItemsPerBatch)
            .Select(i => TestObservations.Track(now.AddSeconds(i - SandboxedPlatform.MaxItemsPerBatch), track, 0.7, 0.3, camera: $"cam-{track}"))];

        // Holding a lock that blocks inserts into the log keeps the first batch in the queue.
        await using var dataSource = await sandboxed.CreateDataSourceAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockLog = new NpgsqlCommand("LOCK TABLE observation_log IN SHARE MODE", connection, transaction))
        {
            await lockLog.ExecuteNonQueryAsync();
        }
        var first = ingest.PostAsync("/v1/observations", TestObservations.Batch(Frames("q-1")));
        await PollAsync("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted AND a.datname = current_database() AND $1 <> ''", n => n is > 0L);

        using var refused = await ingest.PostAsync("/v1/observations", TestObservations.Batch(Frames("q-2")));
        await transaction.RollbackAsync();
        using var accepted = await first.WaitAsync(Timeout);
        using var again = await ingest.PostAsync("/v1/observations", TestObservations.Batch(Frames("q-3")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [SkippableFact]
    public async Task Every_service_bounds_its_connection_pool_to_the_configured_size()
    {
        Sandbox.SkipUnlessAvailable();
        // The console has no database: it reaches data only through the API.
        foreach (var service in SandboxedPlatform.Services.Where(s => s != ResourceNames.Console))
        {
            using var client = sandboxed.Client(service);
            var metrics = await client.GetStringAsync("/metrics");

            var max = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("db_client_connection_max", StringComparison.Ordinal));
            Assert.True(max is not null, $"{service}: no db_client_connection_max in /metrics");
            Assert.Equal(SandboxedPlatform.MaxPoolSize.ToString(CultureInfo.InvariantCulture), max.Split(' ')[^1]);
        }
    }

    private HttpClient Authorized(HttpClient client)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", sandboxed.ApiKey);
        return client;
    }

    /// <summary>Runs <paramref name="sql"/> (the sandbox organization as $1) until <paramref name="done"/> holds for its value.</summary>
    private async Task<object?> PollAsync(string sql, Func<object?, bool> done)
    {
        await using var dataSource = await sandboxed.CreateDataSourceAsync();
        return await Eventually.Until(async () =>
        {
            await using var command = dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = SandboxedPlatform.OrgId });
            return await command.ExecuteScalarAsync() is var v and not DBNull ? v : null;
        }, done, sql, Timeout);
    }

    private static async Task<ServiceProcess.Outcome> RunShellAsync(Sandbox sandbox, string script) =>
        await sandbox.RunAsync("/", ["/bin/sh", "-c", script], Timeout);

    /// <summary>
    /// JSON log entries at warning level or above, except health check results: readiness is
    /// asserted directly, and a first check that is slow on a loaded machine says nothing about
    /// the sandbox.
    /// </summary>
    private static List<string> Problems(string output) =>
        [.. output.Split('\n')
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(entry => entry.GetProperty("LogLevel").GetString() is "Warning" or "Error" or "Critical")
            .Where(entry => entry.GetProperty("Category").GetString() != "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService")
            .Select(entry => entry.GetRawText())];
}
