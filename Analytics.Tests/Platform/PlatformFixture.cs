using Analytics.Schemas;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace Analytics.Tests.Platform;

/// <summary>
/// The real AppHost, started once for every test in the collection: this machine's Postgres in a
/// fresh data folder, the migrations worker and every service, all healthy before a test runs.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(4);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"analytics-tests-{Guid.NewGuid():N}");

    public DistributedApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(StartupTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(
            ["Postgres:Mode=local", $"Postgres:DataDirectory={_dataDirectory}"], cts.Token);
        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await Task.WhenAll(ResourceNames.Services.Select(name =>
            App.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token)));
    }

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

    public HttpClient CreateClient(string resource)
    {
        var client = App.CreateHttpClient(resource);
        client.Timeout = RequestTimeout;
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollectionDefinition : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
