using System.Net;
using System.Text.Json;

namespace Analytics.Tests.Platform;

/// <summary>
/// A service as it runs in production, outside the AppHost, with its database unreachable:
/// readiness says so quickly, liveness does not, and the logs are JSON carrying trace ids.
/// </summary>
public sealed class ProductionServiceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Without_its_database_a_service_is_alive_but_not_ready_and_logs_json_with_trace_ids()
    {
        var (service, client) = await StartWithoutDatabaseAsync("Services/Analytics.Api");
        await using var stopsService = service;
        using var disposesClient = client;

        using var health = await client.GetAsync("/health");
        using var alive = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

        await service.WaitForOutputAsync("Health check PostgreSql with status Unhealthy", Timeout);
        var entry = service.Output.Split('\n')
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .First(e => e.GetProperty("Message").GetString()!.StartsWith("Health check PostgreSql with status Unhealthy", StringComparison.Ordinal));
        Assert.Equal("Error", entry.GetProperty("LogLevel").GetString());
        var traceScope = entry.GetProperty("Scopes").EnumerateArray().First(s => s.TryGetProperty("TraceId", out _));
        Assert.Matches("^[0-9a-f]{32}$", traceScope.GetProperty("TraceId").GetString());
        Assert.Matches("^[0-9a-f]{16}$", traceScope.GetProperty("SpanId").GetString());
    }

    [Theory]
    [InlineData("Services/Analytics.Api")]
    [InlineData("Services/Analytics.Ingest")]
    public async Task In_production_a_service_serves_its_openapi_document_but_not_the_interactive_reference(string project)
    {
        var (service, client) = await StartWithoutDatabaseAsync(project);
        await using var stopsService = service;
        using var disposesClient = client;

        using var document = await client.GetAsync("/openapi/v1.json");
        using var reference = await client.GetAsync("/scalar/");

        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, reference.StatusCode);
    }

    /// <summary>The service as production starts it, listening, with <see cref="ServiceProcess.UnreachableDatabase"/>.</summary>
    private static async Task<(ServiceProcess Service, HttpClient Client)> StartWithoutDatabaseAsync(string project)
    {
        var port = ServiceProcess.FreeLoopbackPort();
        var service = ServiceProcess.Start(project, new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__analytics"] = ServiceProcess.UnreachableDatabase,
        });
        await service.WaitForOutputAsync("Now listening on", Timeout);
        return (service, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Timeout });
    }
}
