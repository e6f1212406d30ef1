using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Analytics.Schemas;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// Ingest through the real AppHost: a batch is taken whole, under the caller's organization, with
/// its trace; anything wrong refuses all of it with a precise problem and stores nothing.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class IngestTests(PlatformFixture platform)
{
    private static readonly string Now = DateTimeOffset.UtcNow.ToString("O");

    private static string Track(string camera, string track, double confidence = 0.9, string box = """{"x":0.1,"y":0.2,"width":0.1,"height":0.3}""", int version = 1) =>
        $$"""{"type":"track_update","schemaVersion":{{version}},"siteId":"site-1","cameraId":"{{camera}}","occurredAt":"{{Now}}","trackId":"{{track}}","objectClass":"person","confidence":{{confidence}},"box":{{box}}}""";

    private static string ZoneHit(string camera) =>
        $$"""{"type":"zone_hit","schemaVersion":1,"siteId":"site-1","cameraId":"{{camera}}","occurredAt":"{{Now}}","zoneId":"exit-1","trackId":"t-1","objectClass":"person","transition":"enter"}""";

    private static string Affect(string camera) =>
        $$"""{"type":"affect_telemetry","schemaVersion":1,"siteId":"school-1","cameraId":"{{camera}}","occurredAt":"{{Now}}","zoneId":"room-1","subjectKey":"s-1","engagement":0.4,"valence":-0.2,"arousal":0.5,"confidence":0.8}""";

    [Fact]
    public async Task A_mixed_json_batch_is_committed_under_the_keys_organization_with_its_trace()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        using var client = Client(key);

        using var response = await client.PostAsync("/v1/observations", Json($"[{Track("cam-1", "t-1")},{ZoneHit("cam-1")},{Affect("cam-2")}]"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        var stored = await StoredAsync(orgId);
        Assert.Equal(["affect_telemetry", "track_update", "zone_hit"], stored.Select(s => s.Type).Order());
        Assert.All(stored, s => Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", s.TraceParent));
        Assert.Single(stored.Select(s => s.TraceParent).Distinct());
        var track = JsonDocument.Parse(stored.Single(s => s.Type == "track_update").Payload).RootElement;
        Assert.Equal("t-1", track.GetProperty("trackId").GetString());
        Assert.Equal(0.9, track.GetProperty("confidence").GetDouble());
    }

    [Fact]
    public async Task An_ndjson_batch_is_committed()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        var body = new StringContent($"{Track("cam-1", "t-1")}\n\n{Track("cam-1", "t-2")}\n", Encoding.UTF8, "application/x-ndjson");

        using var response = await client.PostAsync("/v1/observations", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await StoredAsync(orgId)).Count);
    }

    [Fact]
    public async Task The_seeded_development_key_writes_as_dev_org()
    {
        using var client = Client(PlatformFixture.DevelopmentApiKey);
        var camera = $"cam-{Guid.NewGuid():N}";

        using var response = await client.PostAsync("/v1/observations", Json($"[{Track(camera, "t-1")}]"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var command = dataSource.CreateCommand("SELECT org_id FROM observation_log WHERE camera_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = camera });
        Assert.Equal(Analytics.AppHost.Extensions.DevelopmentOrgId, await command.ExecuteScalarAsync());
    }

    public static TheoryData<string, string, string> BadBatches => new()
    {
        { "malformed JSON", "[" + Track("c", "t") + ",", "$" },
        { "a string where a number belongs", $"[{Track("c", "t").Replace("\"confidence\":0.9", "\"confidence\":\"high\"", StringComparison.Ordinal)}]", "$[0].confidence" },
        { "NaN", $"[{Track("c", "t").Replace("\"confidence\":0.9", "\"confidence\":\"NaN\"", StringComparison.Ordinal)}]", "$[0].confidence" },
        { "a box outside the frame", $"[{Track("c", "t")},{Track("c", "t", box: """{"x":0.9,"y":0.2,"width":0.3,"height":0.3}""")}]", "$[1].box" },
        { "an unknown type", $"[{Track("c", "t").Replace("track_update", "face_print", StringComparison.Ordinal)}]", "$[0]" },
        { "an unknown schema version", $"[{Track("c", "t", version: 99)}]", "$[0].schemaVersion" },
        { "confidence above one", $"[{Track("c", "t", confidence: 1.5)}]", "$[0].confidence" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_bad_batch_is_refused_whole_with_the_problem_and_nothing_is_stored(string what, string body, string path)
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);

        using var response = await client.PostAsync("/v1/observations", Json(body));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = ProblemAssert.Errors(await response.Content.ReadFromJsonAsync<JsonElement>());
        Assert.Contains(errors, e => e.Path.StartsWith(path, StringComparison.Ordinal));
        Assert.Empty(await StoredAsync(orgId));
    }

    public static TheoryData<string> NotRfc3339 => new()
    {
        DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
    };

    [Theory]
    [MemberData(nameof(NotRfc3339))]
    public async Task A_timestamp_without_an_offset_is_refused_at_its_path_and_nothing_is_stored(string occurredAt)
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        var bad = Track("cam-1", "t-2").Replace($"\"occurredAt\":\"{Now}\"", $"\"occurredAt\":\"{occurredAt}\"", StringComparison.Ordinal);

        using var json = await client.PostAsync("/v1/observations", Json($"[{Track("cam-1", "t-1")},{bad}]"));
        using var ndjson = await client.PostAsync("/v1/observations", new StringContent($"{Track("cam-1", "t-1")}\n{bad}\n", Encoding.UTF8, "application/x-ndjson"));

        foreach (var response in new[] { json, ndjson })
        {
            var problem = await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest);
            var error = Assert.Single(ProblemAssert.Errors(problem));
            Assert.Equal("$[1].occurredAt", error.Path);
            Assert.StartsWith("must be an RFC 3339 date-time with Z or an offset, e.g. 2026-11-24T10:00:00Z", Assert.Single(error.Messages), StringComparison.Ordinal);
        }
        Assert.Empty(await StoredAsync(orgId));
    }

    [Fact]
    public async Task A_timestamp_with_an_offset_is_stored_as_the_utc_instant_it_names()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        var utc = DateTimeOffset.UtcNow.AddSeconds(-5);
        utc = new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var local = utc.ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        var body = Track("cam-1", "t-1").Replace($"\"occurredAt\":\"{Now}\"", $"\"occurredAt\":\"{local}\"", StringComparison.Ordinal);

        using var response = await client.PostAsync("/v1/observations", Json($"[{body}]"));

        await ProblemAssert.SucceededAsync(response);
        var stored = Assert.Single(await platform.QueryAsync(
            "SELECT occurred_at, payload FROM observation_log WHERE org_id = $1", orgId,
            reader => (At: reader.GetFieldValue<DateTimeOffset>(0), Payload: reader.GetFieldValue<byte[]>(1))));
        Assert.Equal(utc, stored.At);
        Assert.Equal(utc.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", System.Globalization.CultureInfo.InvariantCulture),
            JsonDocument.Parse(stored.Payload).RootElement.GetProperty("occurredAt").GetString());
    }

    [Fact]
    public async Task Every_bad_item_is_listed_with_its_index()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        var body = $"[{Track("c", "t")},{Track("c", "t", confidence: -1)},{Track("c", "t")},{Track("c", "t", box: """{"x":0.5,"y":0.5,"width":-0.1,"height":0.3}""")}]";

        using var response = await client.PostAsync("/v1/observations", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        // The item's index is the first one of each path, $[3].box.width.
        var indexes = ProblemAssert.Errors(await response.Content.ReadFromJsonAsync<JsonElement>())
            .Select(e => int.Parse(e.Path[2..e.Path.IndexOf(']', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order();
        Assert.Equal([1, 3], indexes);
        Assert.Empty(await StoredAsync(orgId));
    }

    [Fact]
    public async Task More_items_than_allowed_is_413_and_nothing_is_stored()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        // Default Ingest:MaxItemsPerBatch is 5000.
        var body = "[" + string.Join(',', Enumerable.Repeat(Track("c", "t"), 5001)) + "]";

        using var response = await client.PostAsync("/v1/observations", Json(body));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await StoredAsync(orgId));
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        // Default Ingest:MaxBodyBytes is 4 MiB.
        var body = "[" + new string(' ', 4 * 1024 * 1024) + "]";
        // As an edge client should for a large batch: ask first, so the refusal arrives as an
        // answer instead of as a connection closed under a half-sent body.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/observations") { Content = Json(body) };
        request.Headers.ExpectContinue = true;

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ak_this-key-was-never-issued-to-anyone-at-all")]
    public async Task A_missing_or_wrong_key_is_401_problem(string? key)
    {
        using var client = platform.CreateClient(ResourceNames.Ingest);
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await client.PostAsync("/v1/observations", Json($"[{Track("c", "t")}]"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_x_api_key_header_works_too()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Ingest);
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        using var response = await client.PostAsync("/v1/observations", Json($"[{Track("c", "t")}]"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await StoredAsync(orgId));
    }

    private HttpClient Client(string key) => platform.CreateClient(ResourceNames.Ingest, key);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private sealed record Stored(string Type, string? TraceParent, byte[] Payload);

    private Task<List<Stored>> StoredAsync(string orgId) => platform.QueryAsync(
        "SELECT type, trace_parent, payload FROM observation_log WHERE org_id = $1", orgId,
        reader => new Stored(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<byte[]>(2)));
}
