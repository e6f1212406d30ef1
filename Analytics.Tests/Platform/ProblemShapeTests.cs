using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

/// <summary>
/// Ingest and the API refuse a request in one shape, so an edge device and the console handle
/// one: the same type and title, errors keyed by JSON path, the same words for the same fault.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class ProblemShapeTests(PlatformFixture platform)
{
    [Fact]
    public async Task Ingest_and_the_api_refuse_a_blank_id_in_the_same_shape_and_words()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        using var api = platform.CreateClient(ResourceNames.Api, key);
        var occurredAt = DateTimeOffset.UtcNow.ToString("O");
        var batch = $$"""[{"type":"camera_heartbeat","schemaVersion":1,"siteId":" ","cameraId":"cam-1","occurredAt":"{{occurredAt}}"}]""";

        using var refusedBatch = await ingest.PostAsync("/v1/observations", new StringContent(batch, Encoding.UTF8, "application/json"));
        using var refusedCamera = await api.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = " ", name = "Entrance" });
        using var unreadableCamera = await api.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = 5, name = "Entrance" });

        var batchProblem = await ProblemAssert.IsAsync(refusedBatch, System.Net.HttpStatusCode.BadRequest);
        var cameraProblem = await ProblemAssert.IsAsync(refusedCamera, System.Net.HttpStatusCode.BadRequest);
        var unreadableProblem = await ProblemAssert.IsAsync(unreadableCamera, System.Net.HttpStatusCode.BadRequest);
        var batchError = Assert.Single(ProblemAssert.Errors(batchProblem));
        var cameraError = Assert.Single(ProblemAssert.Errors(cameraProblem));
        Assert.Equal("$.siteId", Assert.Single(ProblemAssert.Errors(unreadableProblem)).Path);
        Assert.Equal("$[0].siteId", batchError.Path);
        Assert.Equal("$.siteId", cameraError.Path);
        Assert.Equal(["must not be empty or whitespace, was ' '"], batchError.Messages);
        Assert.Equal(batchError.Messages, cameraError.Messages);
        Assert.Equal(Members(batchProblem), Members(cameraProblem));
        Assert.Equal(Members(batchProblem), Members(unreadableProblem));
    }

    private static List<string> Members(JsonElement problem) => [.. problem.EnumerateObject().Select(member => member.Name).Order(StringComparer.Ordinal)];
}
