using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

/// <summary>API keys managed through the API: made with scopes and an expiry, the secret shown once, listed, revoked.</summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class ApiKeysApiTests(PlatformFixture platform)
{
    [Fact]
    public async Task An_admin_makes_a_key_sees_its_secret_once_lists_it_with_its_last_use_and_revokes_it()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        var admin = await platform.AddAsync(orgId, "admin");
        using var api = platform.CreateClient(ResourceNames.Api, admin.AccessToken);

        using var created = await api.PostAsJsonAsync("/v1/api-keys", new { name = "Store 12 tracker", scopes = new[] { "ingest", "read" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        var keyId = body.GetProperty("key").GetProperty("keyId").GetString()!;
        Assert.Equal($"/v1/api-keys/{keyId}", created.Headers.Location?.OriginalString);
        Assert.StartsWith(body.GetProperty("key").GetProperty("prefix").GetString()!, secret, StringComparison.Ordinal);

        using var device = platform.CreateClient(ResourceNames.Api, secret);
        using (var read = await device.GetAsync("/v1/incidents"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using var listed = await api.GetAsync("/v1/api-keys");
        var text = await listed.Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        var key = JsonDocument.Parse(text).RootElement.EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == keyId);
        Assert.Equal("Store 12 tracker", key.GetProperty("name").GetString());
        Assert.Equal(["ingest", "read"], key.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(body.GetProperty("key").GetProperty("actor").GetString(), key.GetProperty("actor").GetString());
        Assert.StartsWith("api-key:", key.GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal("user:" + admin.UserId, key.GetProperty("createdBy").GetString());
        Assert.Equal(JsonValueKind.String, key.GetProperty("lastUsedAt").ValueKind);
        Assert.False(key.TryGetProperty("revokedAt", out var revokedAt) && revokedAt.ValueKind != JsonValueKind.Null, "a live key is not revoked");

        using (var revoked = await api.DeleteAsync($"/v1/api-keys/{keyId}"))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            Assert.Equal(JsonValueKind.String, (await revoked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revokedAt").ValueKind);
        }
        // The API instance that revoked it forgot it at once; ingest within ApiKeys:CacheSeconds.
        using (var refused = await device.GetAsync("/v1/incidents"))
        {
            await ProblemAssert.IsAsync(refused, HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task A_key_past_its_expiry_is_refused()
    {
        var (orgId, ownerKey) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, ownerKey);
        using var created = await api.PostAsJsonAsync("/v1/api-keys", new { name = "Short-lived", scopes = new[] { "read" }, expiresAt = DateTimeOffset.UtcNow.AddSeconds(3) });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;

        using var device = platform.CreateClient(ResourceNames.Api, secret);
        await Eventually.Until(async () => (await device.GetAsync("/v1/sites")).StatusCode, s => s == HttpStatusCode.Unauthorized, "the key to expire", TimeSpan.FromSeconds(30));
        Assert.NotNull(await platform.ScalarAsync<DateTime?>("SELECT expires_at FROM api_keys WHERE org_id = $1 AND name = 'Short-lived'", orgId));
    }

    [Fact]
    public async Task A_key_cannot_make_a_key_that_outlives_it()
    {
        var (_, ownerKey) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, ownerKey);
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        using var created = await api.PostAsJsonAsync("/v1/api-keys", new { name = "Temporary admin", scopes = new[] { "admin" }, expiresAt = expires });
        var temporary = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;

        using var asTemporary = platform.CreateClient(ResourceNames.Api, temporary);
        await ProblemAssert.InvalidAtAsync(await asTemporary.PostAsJsonAsync("/v1/api-keys", new { name = "Forever", scopes = new[] { "read" } }), "$.expiresAt");
        using var within = await asTemporary.PostAsJsonAsync("/v1/api-keys", new { name = "Shorter", scopes = new[] { "read" }, expiresAt = expires.AddMinutes(-1) });
        Assert.Equal(HttpStatusCode.Created, within.StatusCode);
    }

    [Theory]
    [InlineData("""{"name": "", "scopes": ["read"]}""", "$.name")]
    [InlineData("""{"name": "k", "scopes": []}""", "$.scopes")]
    [InlineData("""{"name": "k", "scopes": ["read", "everything"]}""", "$.scopes[1]")]
    [InlineData("""{"name": "k", "scopes": ["read"], "expiresAt": "2020-01-01T00:00:00Z"}""", "$.expiresAt")]
    public async Task A_bad_key_request_is_refused_at_its_field_and_makes_no_key(string body, string path)
    {
        var (orgId, ownerKey) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, ownerKey);
        using var refused = await api.PostAsync("/v1/api-keys", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await ProblemAssert.InvalidAtAsync(refused, path);
        Assert.Equal(1L, await platform.ScalarAsync<long>("SELECT count(*) FROM api_keys WHERE org_id = $1", orgId));
    }
}
