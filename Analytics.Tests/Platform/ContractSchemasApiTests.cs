using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

[Collection(PlatformCollectionDefinition.Name)]
public sealed class ContractSchemasApiTests(PlatformFixture platform)
{
    private static string SchemasFolder => Path.Combine(RepositoryPaths.Root, "Analytics.Schemas", "schemas");

    [Fact]
    public async Task Lists_every_committed_schema()
    {
        using var client = platform.CreateClient(ResourceNames.Api);

        var names = await client.GetFromJsonAsync<string[]>("/v1/schemas");

        var committed = Directory.GetFiles(SchemasFolder, "*.schema.json").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(committed, names);
    }

    [Fact]
    public async Task Serves_a_schema_exactly_as_committed()
    {
        using var client = platform.CreateClient(ResourceNames.Api);

        using var response = await client.GetAsync("/v1/schemas/track-update.v1.schema.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        var served = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(SchemasFolder, "track-update.v1.schema.json")));
        Assert.True(JsonNode.DeepEquals(committed, served));
    }

    [Theory]
    [InlineData("/v1/schemas/no-such.schema.json")]
    [InlineData("/v1/no-such-resource")]
    public async Task Errors_are_problem_details(string path)
    {
        using var client = platform.CreateClient(ResourceNames.Api);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("title").GetString()));
    }
}
