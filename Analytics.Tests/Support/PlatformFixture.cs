using System.Net.Http.Json;
using Analytics.Data.Signals;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Analytics.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// The real AppHost, started once for every test in the collection: this machine's Postgres in a
/// fresh data folder, the migrations worker and every service, all healthy before a test runs.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(4);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The key the AppHost seeds for <c>dev-org</c>, fixed here so tests can use it.</summary>
    public const string DevelopmentApiKey = "ak_test-development-key-0123456789abcdefghijklmnop";

    /// <summary>The owner of <c>dev-org</c> the AppHost has the identity service create, fixed here so tests can sign in.</summary>
    public const string DevelopmentOwnerEmail = "owner@dev-org.test";
    public const string DevelopmentOwnerPassword = "test-owner-password-0123456789";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"analytics-tests-{Guid.NewGuid():N}");

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>Loopback port the notifier sends e-mail to; a test starts its own SMTP server there.</summary>
    public int SmtpPort { get; } = ServiceProcess.FreeLoopbackPort();

    /// <summary>Notifications each organization gets per quota window before the rest go into a digest.</summary>
    public const int NotificationQuota = 4;

    /// <summary>The notifier's quota window, short so a test sees a digest go out.</summary>
    public static readonly TimeSpan QuotaWindow = TimeSpan.FromSeconds(30);

    /// <summary>How long a dead letter or restarts keep a consumer's health degraded on the test platform.</summary>
    public static readonly TimeSpan DegradedWindow = TimeSpan.FromSeconds(30);

    /// <summary>How often ingest and the API read the rate limit overrides on the test platform.</summary>
    public static readonly TimeSpan RateLimitOverrideRefresh = TimeSpan.FromSeconds(1);

    /// <summary>The idle fallback's timeout on the test platform.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(20);

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(StartupTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(
            [
                "Postgres:Mode=local",
                // Tests send their own scenes; a streaming simulator would only add noise.
                "Simulator:Enabled=false",
                $"Postgres:DataDirectory={_dataDirectory}",
                $"Parameters:{Analytics.AppHost.Extensions.DevelopmentApiKeyParameter}={DevelopmentApiKey}",
                $"Parameters:{Analytics.AppHost.Extensions.DevelopmentOwnerEmailParameter}={DevelopmentOwnerEmail}",
                $"Parameters:{Analytics.AppHost.Extensions.DevelopmentOwnerPasswordParameter}={DevelopmentOwnerPassword}",
                // Every test has its own organization and sends at most a few notifications, so a
                // small quota over a short window only shows in the test that exceeds it.
                $"Notifier:HourlyQuotaPerOrganization={NotificationQuota}",
                $"Notifier:QuotaWindowSeconds={QuotaWindow.TotalSeconds}",
                "Notifier:InitialBackoffSeconds=0.5",
                "Notifier:WebhookTimeoutSeconds=15",
                "Notifier:Smtp:Host=127.0.0.1",
                $"Notifier:Smtp:Port={SmtpPort}",
                "Notifier:Smtp:TimeoutSeconds=5",
                // Short enough for a test to see the idle fallback close a silent camera, long
                // enough that no other test's camera falls silent between its posts.
                $"Rules:IdleTimeoutSeconds={IdleTimeout.TotalSeconds}",
                // A dead letter turns a consumer's health degraded for this long: long enough for
                // the poison-entry tests to see it, short enough that later tests find it healthy.
                $"Consumers:DegradedWindowSeconds={DegradedWindow.TotalSeconds}",
                // Ingest and the API read the organizations' rate limit overrides this often, so a
                // test's override applies within a second or two. Their defaults are far above what
                // any test sends, so only the organizations a test gives an override are limited.
                $"RateLimits:OverrideRefreshSeconds={RateLimitOverrideRefresh.TotalSeconds}",
            ], cts.Token);
        KeepLogsQuiet(builder);
        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await Task.WhenAll(ResourceNames.Services.Select(name =>
            App.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token)));
    }

    /// <summary>
    /// Resource and orchestrator logs reach the test output only when something is wrong. The
    /// orchestrator's own health probes are left out: they fail by design while services start and
    /// stop, and their stack traces would bury the test results at the end of the output.
    /// </summary>
    public static void KeepLogsQuiet(IDistributedApplicationTestingBuilder builder) =>
        builder.Services.AddLogging(logging => logging
            .AddFilter("Aspire", LogLevel.Warning)
            .AddFilter("Analytics.AppHost.Resources", LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    public async Task<NpgsqlDataSource> CreateDataSourceAsync() =>
        NpgsqlDataSource.Create(await App.GetConnectionStringAsync(ResourceNames.Database)
            ?? throw new InvalidOperationException("The AppHost gave no connection string"));

    /// <summary>Stores signals as a rule service would; fusion turns them into incidents.</summary>
    public Task InsertSignalsAsync(params Signal[] signals) => InsertSignalsAsync(null, signals);

    /// <summary>Stores signals as a rule service would, each with <paramref name="traceParent"/>.</summary>
    public async Task InsertSignalsAsync(string? traceParent, IEnumerable<Signal> signals)
    {
        await using var dataSource = await CreateDataSourceAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        await SignalStore.InsertAsync(connection, [.. signals.Select(s => new TracedSignal(s, traceParent, null))], CancellationToken.None);
    }

    /// <summary>
    /// A new organization with its own API key (every scope), so a test's data is its own; with
    /// <paramref name="educationEnabled"/>, opted into education as an owner would opt it in.
    /// </summary>
    public async Task<(string OrgId, string ApiKey)> CreateOrganizationAsync(bool educationEnabled = false)
    {
        var orgId = $"org-{Guid.NewGuid():N}";
        var key = ApiKeys.Generate();
        await using var dataSource = await CreateDataSourceAsync();
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO organizations (org_id, name, education_enabled) VALUES ($1, $1, $2)")
        {
            Parameters = { new() { Value = orgId }, new() { Value = educationEnabled } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO api_keys (key_hash, org_id, name, prefix, scopes) VALUES ($1, $2, 'test', $3, $4)")
        {
            Parameters = { new() { Value = ApiKeys.Hash(key) }, new() { Value = orgId }, new() { Value = ApiKeys.Prefix(key) }, new() { Value = ApiKeyScopes.All.ToArray() } },
        });
        await batch.ExecuteNonQueryAsync();
        return (orgId, key);
    }

    /// <summary>
    /// Registers <paramref name="siteId"/> and its camera <paramref name="cameraId"/> through the API,
    /// as a zone on that camera needs; idempotent, so tests call it for every camera they use.
    /// </summary>
    public async Task AddCameraAsync(string apiKey, string siteId, string cameraId)
    {
        using var client = CreateClient(ResourceNames.Api, apiKey);
        using (var site = await client.PutAsJsonAsync($"/v1/sites/{siteId}", new { name = siteId, timeZone = "Europe/Berlin" }))
        {
            await ProblemAssert.SucceededAsync(site);
        }
        using var camera = await client.PutAsJsonAsync($"/v1/cameras/{cameraId}", new { siteId, name = cameraId });
        await ProblemAssert.SucceededAsync(camera);
    }

    /// <summary>Rows of one organization's data, read with <paramref name="read"/>; the SQL takes the org id as $1.</summary>
    public Task<List<T>> QueryAsync<T>(string sql, string orgId, Func<NpgsqlDataReader, T> read) => ReadAsync(sql, orgId, read);

    /// <summary>Rows of <paramref name="sql"/>, which takes no parameters, read with <paramref name="read"/>.</summary>
    public Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read) => ReadAsync(sql, null, read);

    private async Task<List<T>> ReadAsync<T>(string sql, string? orgId, Func<NpgsqlDataReader, T> read)
    {
        await using var dataSource = await CreateDataSourceAsync();
        await using var command = dataSource.CreateCommand(sql);
        if (orgId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        }
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    /// <summary>Runs <paramref name="sql"/>, which takes the org id as $1 when one is given; returns the rows it changed.</summary>
    public async Task<int> ExecuteAsync(string sql, string? orgId = null)
    {
        await using var dataSource = await CreateDataSourceAsync();
        await using var command = dataSource.CreateCommand(sql);
        if (orgId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        }
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row of <paramref name="sql"/>, which takes the org id as $1; default when there is none or it is null.</summary>
    public async Task<T?> ScalarAsync<T>(string sql, string orgId)
    {
        await using var dataSource = await CreateDataSourceAsync();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    /// <summary>A client of <paramref name="resource"/> that presents <paramref name="bearer"/>: an API key or a user's access token.</summary>
    public HttpClient CreateClient(string resource, string bearer)
    {
        var client = CreateClient(resource);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>SIGKILL, not a graceful stop: whatever the service had in memory and not committed is gone.</summary>
    public async Task<string> KillAsync(string resource)
    {
        using var cts = new CancellationTokenSource(RequestTimeout * 2);
        var running = await App.ResourceNotifications.WaitForResourceAsync(
            resource, e => e.Snapshot.State?.Text == KnownResourceStates.Running, cts.Token);
        var pid = ProcessId(running)!;
        using (var process = System.Diagnostics.Process.GetProcessById(Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture)))
        {
            // The orchestrator may start the service through a launcher; the service is its child.
            process.Kill(entireProcessTree: true);
        }
        await App.ResourceNotifications.WaitForResourceAsync(resource, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cts.Token);
        return pid;
    }

    /// <summary>
    /// Starts a killed service again and waits until its new process runs and is healthy. The start
    /// command returns while the resource still shows the killed process as Exited, which Aspire's
    /// own health wait takes for a failed start; so the wait is for a Running, healthy snapshot that
    /// names a process other than the killed one.
    /// </summary>
    public async Task StartAsync(string resource, string killedPid)
    {
        using var cts = new CancellationTokenSource(RequestTimeout * 2);
        await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cts.Token);
        await App.ResourceNotifications.WaitForResourceAsync(
            resource,
            e => e.Snapshot.State?.Text == KnownResourceStates.Running
                && ProcessId(e) is { } pid && pid != killedPid
                && e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy,
            cts.Token);
    }

    /// <summary>The process id of <paramref name="resource"/> once it runs.</summary>
    public async Task<string> ProcessIdAsync(string resource)
    {
        using var cts = new CancellationTokenSource(RequestTimeout);
        var running = await App.ResourceNotifications.WaitForResourceAsync(
            resource, e => e.Snapshot.State?.Text == KnownResourceStates.Running && ProcessId(e) is not null, cts.Token);
        return ProcessId(running)!;
    }

    private static string? ProcessId(ResourceEvent e) =>
        e.Snapshot.Properties.SingleOrDefault(p => p.Name == "executable.pid")?.Value?.ToString();

    public HttpClient CreateClient(string resource)
    {
        var client = App.CreateHttpClient(resource);
        client.Timeout = RequestTimeout;
        return client;
    }
}
