using System.Diagnostics;
using System.Net;
using Analytics.Schemas;
using Aspire.Hosting.Testing;
using Analytics.Tests.Platform;
using Npgsql;

namespace Analytics.Tests.Deployment;

/// <summary>
/// Every service of the AppHost published and started under <see cref="Sandbox"/>, as the hardened
/// compose overlay runs it, against a database of its own on the platform fixture's Postgres: the
/// migrations job first (it must exit 0), then the web services, each healthy before a test runs.
/// Started once for the test class.
/// </summary>
public sealed class SandboxedPlatform : IAsyncLifetime
{
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(3);

    public const string OrgId = "sandbox-org";

    /// <summary>The machine's .NET host, seen read-only inside the sandbox through the root bind; it runs the health probe.</summary>
    public const string Dotnet = "/usr/bin/dotnet";

    /// <summary>Small enough that a test can fill ingest's write queue with two batches.</summary>
    public const int MaxItemsPerBatch = 300;
    public const int WriteQueueCapacity = 400;
    public const int MaxPoolSize = 4;

    public string ApiKey { get; } = "ak_sandbox-" + Guid.NewGuid().ToString("N");

    /// <summary>Outside /tmp, which the sandbox hides behind its own tmpfs; the root bind shows it read-only.</summary>
    public string PublishRoot { get; } = Path.Combine("/var/tmp", $"analytics-sandbox-{Guid.NewGuid():N}");

    private readonly string _database = $"sandbox_{Guid.NewGuid():N}";
    private readonly Dictionary<string, (ServiceProcess Process, int Port)> _services = [];
    private readonly Lock _gate = new();
    private Task? _started;
    private string? _adminConnectionString;

    public ComposeFile Overlay { get; } = ComposeFile.Load(ComposeFile.SecurityOverlay);

    public string ConnectionString { get; private set; } = "";

    public static IReadOnlyList<string> Services => ResourceNames.Services;

    public Sandbox SandboxOf(string service) => new(Overlay.Services[service]);

    public ServiceProcess Process(string service) => _services[service].Process;

    public HttpClient Client(string service) => new() { BaseAddress = new Uri($"http://127.0.0.1:{_services[service].Port}"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The service's .NET process, seen from outside the sandbox.</summary>
    public ProcessView View(string service)
    {
        var process = _services[service].Process;
        try
        {
            return ProcessView.Read(ProcessView.FindDescendant(process.Id, Launcher(service)));
        }
        catch (InvalidOperationException e)
        {
            // Say why: a service that died says so in its last lines.
            var output = process.Output;
            throw new InvalidOperationException(
                $"{service}: no {Launcher(service)} process below the sandbox (sandbox exited: {process.HasExited}); last output: {output[Math.Max(0, output.Length - 4000)..]}", e);
        }
    }

    public string AppDirectory(string service) => Path.Combine(PublishRoot, service);

    public string ProbeDirectory => Path.Combine(PublishRoot, "healthprobe");

    /// <summary>Starts everything the first time a test asks; later callers get the same start.</summary>
    public Task EnsureStartedAsync(PlatformFixture platform)
    {
        lock (_gate)
        {
            return _started ??= StartAsync(platform);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (process, _) in _services.Values)
        {
            await process.DisposeAsync();
        }
        if (_adminConnectionString is not null)
        {
            await using var dataSource = NpgsqlDataSource.Create(_adminConnectionString);
            await using var drop = dataSource.CreateCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
        if (Directory.Exists(PublishRoot))
        {
            Directory.Delete(PublishRoot, recursive: true);
        }
    }

    public async Task<NpgsqlDataSource> CreateDataSourceAsync()
    {
        await (_started ?? Task.CompletedTask);
        return NpgsqlDataSource.Create(ConnectionString);
    }

    private async Task StartAsync(PlatformFixture platform)
    {
        // The tests skip themselves before asking for a start; this only guards a new caller.
        if (Sandbox.WhyUnavailableHere is { } why)
        {
            throw new InvalidOperationException(why);
        }
        using var cts = new CancellationTokenSource(StartupTimeout);
        var publishing = PublishAsync(cts.Token);

        _adminConnectionString = await platform.App.GetConnectionStringAsync(ResourceNames.Database, cts.Token)
            ?? throw new InvalidOperationException("The AppHost gave no connection string");
        await using (var admin = NpgsqlDataSource.Create(_adminConnectionString))
        await using (var create = admin.CreateCommand($"CREATE DATABASE \"{_database}\""))
        {
            await create.ExecuteNonQueryAsync(cts.Token);
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = _database }.ConnectionString;
        await publishing;

        var migrations = await SandboxOf(ResourceNames.Migrations).RunAsync(
            AppDirectory(ResourceNames.Migrations), [Launcher(ResourceNames.Migrations)],
            StartupTimeout, Environment(ResourceNames.Migrations));
        Assert.True(migrations.ExitCode == 0, $"migrations exited with {migrations.ExitCode} in the sandbox: {migrations.Output}");

        foreach (var service in Services)
        {
            var port = ServiceProcess.FreeLoopbackPort();
            var environment = new Dictionary<string, string>(Environment(service)) { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" };
            var process = SandboxOf(service).Start(AppDirectory(service), [Launcher(service)], environment);
            _services[service] = (process, port);
        }
        await Task.WhenAll(Services.Select(service => WaitUntilHealthyAsync(service, cts.Token)));
    }

    private Dictionary<string, string> Environment(string service)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__analytics"] = ConnectionString,
            ["Supabase__MaxPoolSize"] = MaxPoolSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (service is ResourceNames.Ingest or ResourceNames.Api)
        {
            environment["ApiKeys__Seed__0__OrgId"] = OrgId;
            environment["ApiKeys__Seed__0__Key"] = ApiKey;
        }
        if (service == ResourceNames.Ingest)
        {
            environment["Ingest__MaxItemsPerBatch"] = $"{MaxItemsPerBatch}";
            environment["Ingest__WriteQueueCapacity"] = $"{WriteQueueCapacity}";
            environment["Ingest__WriteBatchMaxItems"] = $"{WriteQueueCapacity}";
        }
        return environment;
    }

    private async Task WaitUntilHealthyAsync(string service, CancellationToken cancellationToken)
    {
        using var client = Client(service);
        while (true)
        {
            var process = _services[service].Process;
            Assert.False(process.HasExited, $"{service} exited in the sandbox: {process.Output}");
            try
            {
                using var response = await client.GetAsync("/health", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{service} was not healthy within {StartupTimeout} in the sandbox: {process.Output}");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>
    /// <c>dotnet publish</c> of every service and the health probe, as the Dockerfile does, from the
    /// build this test run already made (same configuration, <c>--no-build</c>), all at once.
    /// </summary>
    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var projects = Services.Append(ResourceNames.Migrations)
            .Select(service => (Directory: AppDirectory(service), Project: ProjectDirectory(service)))
            .Append((Directory: ProbeDirectory, Project: "Services/Analytics.HealthProbe"));
        await Task.WhenAll(projects.Select(async p =>
        {
            var start = new ProcessStartInfo("dotnet",
                ["publish", Path.Combine(RepositoryPaths.Root, p.Project), "-c", configuration, "--no-build", "-o", p.Directory, "-nologo", "-v", "q", "-nr:false"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var publish = System.Diagnostics.Process.Start(start)!;
            var output = publish.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = publish.StandardError.ReadToEndAsync(cancellationToken);
            await publish.WaitForExitAsync(cancellationToken);
            Assert.True(publish.ExitCode == 0, $"dotnet publish {p.Project} failed: {await output}{await errors}");
        }));
        // Readable by the sandbox user whatever the umask, as the files of an image are; writable by root only.
        using var chmod = System.Diagnostics.Process.Start("chmod", ["-R", "u=rwX,go=rX", PublishRoot])!;
        await chmod.WaitForExitAsync(cancellationToken);
        Assert.Equal(0, chmod.ExitCode);
    }

    /// <summary>The project folder of a service, from the build arguments compose builds its image with.</summary>
    private static string ProjectDirectory(string service) => ComposeFile.Load(ComposeFile.Base).Services[service].BuildArgs["SERVICE_PROJECT"];

    /// <summary>
    /// The service's native launcher, which the image starts (renamed <c>/app/service</c>): it finds
    /// its assembly beside it and the host's .NET where the runtime image keeps its own.
    /// </summary>
    private string Launcher(string service) =>
        Path.Combine(AppDirectory(service), ComposeFile.Load(ComposeFile.Base).Services[service].BuildArgs["SERVICE_ASSEMBLY"]);
}
