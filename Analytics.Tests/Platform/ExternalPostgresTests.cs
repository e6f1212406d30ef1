using Analytics.Schemas;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Analytics.Tests.Platform;

/// <summary>
/// <c>Postgres:Mode=external</c>: the AppHost runs no database of its own and points every service
/// at the given server (here the shared fixture's, standing in for a Supabase project).
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class ExternalPostgresTests(PlatformFixture platform)
{
    [Fact]
    public async Task External_mode_runs_every_service_against_the_given_server()
    {
        var connectionString = await platform.App.GetConnectionStringAsync(ResourceNames.Database);
        using var cts = new CancellationTokenSource(PlatformFixture.StartupTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(
            ["Postgres:Mode=external", "Simulator:Enabled=false", $"ConnectionStrings:{ResourceNames.Database}={connectionString}"], cts.Token);

        Assert.DoesNotContain(builder.Resources, r => r.Name == ResourceNames.Postgres);
        PlatformFixture.KeepLogsQuiet(builder);

        await using var app = await builder.BuildAsync(cts.Token);
        await app.StartAsync(cts.Token);
        await Task.WhenAll(ResourceNames.Services.Select(name => app.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token)));

        var migrations = await app.ResourceNotifications.WaitForResourceAsync(
            ResourceNames.Migrations, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cts.Token);
        Assert.Equal(0, migrations.Snapshot.ExitCode);
        Assert.Equal(connectionString, await app.GetConnectionStringAsync(ResourceNames.Database, cts.Token));
    }

    [Fact]
    public async Task External_mode_without_a_connection_string_stops_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<DistributedApplicationException>(async () =>
            await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(["Postgres:Mode=external"]));

        Assert.Contains($"ConnectionStrings:{ResourceNames.Database}", error.Message, StringComparison.Ordinal);
    }
}
