using System.Net;
using System.Text;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

/// <summary>
/// Every service reads at most Service:MaxRequestBodyBytes (1 MiB by default) of a request body;
/// ingest, whose batches are larger, reads up to its own Ingest:MaxBodyBytes (4 MiB).
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class RequestLimitsTests(PlatformFixture platform)
{
    // Whitespace is valid JSON between tokens, so only the size differs from an accepted body.
    private static readonly string TwoMebibytesOfSpace = new(' ', 2 * 1024 * 1024);

    [Fact]
    public async Task The_api_refuses_a_body_over_the_service_limit_with_413_problem()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Api, key);
        var zone = """{"siteId":"store-1","cameraId":"cam-1","name":"big","kind":"shelf","polygon":[{"x":0,"y":0},{"x":1,"y":0},{"x":1,"y":1}]""";

        // Ask first, as a client sending a large body should: the refusal then arrives as an answer
        // instead of as a connection closed under a half-sent body (a broken pipe on slow machines).
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/zones/big") { Content = Json(zone + TwoMebibytesOfSpace + "}") };
        request.Headers.ExpectContinue = true;

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Ingest_reads_bodies_over_the_service_limit_up_to_its_own()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Ingest, key);
        var track = $$$"""{"type":"track_update","schemaVersion":1,"siteId":"site-1","cameraId":"cam-1","occurredAt":"{{{DateTimeOffset.UtcNow:O}}}","trackId":"t-1","objectClass":"person","confidence":0.9,"box":{"x":0.1,"y":0.2,"width":0.1,"height":0.3}}""";

        using var response = await client.PostAsync("/v1/observations", Json("[" + track + TwoMebibytesOfSpace + "]"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
