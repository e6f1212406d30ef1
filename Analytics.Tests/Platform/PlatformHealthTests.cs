using System.Net;
using Analytics.Migrations;
using Analytics.Schemas;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Analytics.Tests.Platform;

[Collection(PlatformCollectionDefinition.Name)]
public sealed class PlatformHealthTests(PlatformFixture platform)
{
    public static TheoryData<string> Services => [.. ResourceNames.Services];

    [Fact]
    public async Task Postgres_database_and_every_service_report_healthy()
    {
        using var cts = new CancellationTokenSource(PlatformFixture.RequestTimeout);
        string[] resources = [ResourceNames.Postgres, ResourceNames.Database, .. ResourceNames.Services];
        foreach (var name in resources)
        {
            var state = await platform.App.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token);
            Assert.Equal(HealthStatus.Healthy, state.Snapshot.HealthStatus);
            Assert.Equal(KnownResourceStates.Running, state.Snapshot.State?.Text);
        }
    }

    [Fact]
    public async Task Migrations_worker_finished_with_exit_code_zero()
    {
        using var cts = new CancellationTokenSource(PlatformFixture.RequestTimeout);
        var state = await platform.App.ResourceNotifications.WaitForResourceAsync(
            ResourceNames.Migrations, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cts.Token);
        Assert.Equal(KnownResourceStates.Finished, state.Snapshot.State?.Text);
        Assert.Equal(0, state.Snapshot.ExitCode);
    }

    [Fact]
    public async Task Schema_journal_lists_every_embedded_script_in_order()
    {
        var connectionString = await platform.App.GetConnectionStringAsync(ResourceNames.Database);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT scriptname FROM {MigrationScripts.JournalSchema}.{MigrationScripts.JournalTable} ORDER BY schemaversionsid", connection);
        var applied = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                applied.Add(reader.GetString(0));
            }
        }

        Assert.NotEmpty(MigrationScripts.Names);
        Assert.Equal(MigrationScripts.Names, applied);

        // The first script's table exists: the journal is not just a list of names.
        await using var table = new NpgsqlCommand("SELECT to_regclass('public.organizations') IS NOT NULL", connection);
        Assert.True((bool)(await table.ExecuteScalarAsync())!);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Health_and_alive_answer_healthy(string service)
    {
        using var client = platform.CreateClient(service);

        foreach (var path in new[] { "/health", "/alive" })
        {
            // A consumer that set an entry aside in an earlier test (PoisonEntriesTests) is
            // degraded for the fixture's window; then it must be healthy again.
            var (status, body) = await Eventually.Until(
                async () =>
                {
                    using var response = await client.GetAsync(path);
                    return (response.StatusCode, await response.Content.ReadAsStringAsync());
                },
                answer => answer.Item2 != "Degraded",
                $"{service}{path} past a degraded window",
                PlatformFixture.DegradedWindow * 3);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Healthy", body);
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Metrics_expose_aspnetcore_request_durations_in_prometheus_text(string service)
    {
        using var client = platform.CreateClient(service);
        using var cts = new CancellationTokenSource(PlatformFixture.RequestTimeout);

        // The exporter caches a scrape briefly, so a request made just now may show up one scrape later.
        (await client.GetAsync("/alive", cts.Token)).Dispose();
        var (status, contentType, body) = await Eventually.Until(
            async () =>
            {
                using var response = await client.GetAsync("/metrics", cts.Token);
                return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(cts.Token));
            },
            scrape => scrape.StatusCode != HttpStatusCode.OK || scrape.Item3.Contains("http_route=\"/alive\"", StringComparison.Ordinal),
            $"{service}'s /metrics to show the /alive request",
            PlatformFixture.RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/plain", contentType);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", body, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{", body, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/alive\"", body, StringComparison.Ordinal);
    }
}
