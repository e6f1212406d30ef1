using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Data.Identity;
using Analytics.Schemas;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Analytics.Tests.Platform;

/// <summary>
/// People on the real platform: sign-in at the identity service with GoTrue's endpoints, the API
/// and ingest taking the access token, refresh rotation, sign-out, invitations, disabling, and
/// tokens that must be refused. Each test signs in as the owner of an organization of its own.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class IdentityTests(PlatformFixture platform)
{
    private const string Password = TestUsers.Password;

    [Fact]
    public async Task The_seeded_owner_signs_in_and_calls_the_api_with_a_supabase_shaped_token()
    {
        var session = await platform.SignInAsync(PlatformFixture.DevelopmentOwnerEmail, PlatformFixture.DevelopmentOwnerPassword);

        Assert.Equal("bearer", session.GetProperty("token_type").GetString());
        Assert.Equal(15 * 60, session.GetProperty("expires_in").GetInt32());
        Assert.Equal("dev-org", session.GetProperty("user").GetProperty("app_metadata").GetProperty("org_id").GetString());
        var token = new JsonWebToken(session.GetProperty("access_token").GetString());
        Assert.Equal("ES256", token.Alg);
        Assert.Equal(["authenticated"], token.Audiences);
        Assert.Equal("authenticated", token.GetClaim("role").Value);
        Assert.Equal(PlatformFixture.DevelopmentOwnerEmail, token.GetClaim("email").Value);
        Assert.Equal(session.GetProperty("user").GetProperty("id").GetString(), token.Subject);
        Assert.True(Guid.TryParse(token.GetClaim("session_id").Value, out _));
        Assert.EndsWith("/auth/v1", token.Issuer, StringComparison.Ordinal);
        var payload = Payload(token);
        Assert.Equal("owner", payload.GetProperty("app_metadata").GetProperty("org_role").GetString());
        Assert.False(payload.GetProperty("app_metadata").TryGetProperty("sites", out _));
        Assert.Equal(JsonValueKind.Object, payload.GetProperty("user_metadata").ValueKind);
        // The key that signed it is the one published.
        using var identity = platform.CreateClient(ResourceNames.Identity);
        var jwks = await ProblemAssert.GetAsync(identity, "/auth/v1/.well-known/jwks.json");
        Assert.Contains(jwks.GetProperty("keys").EnumerateArray(), key => key.GetProperty("kid").GetString() == token.Kid);

        using var api = platform.CreateClient(ResourceNames.Api, token.EncodedToken);
        await ProblemAssert.GetAsync(api, "/v1/sites");
        var users = await ProblemAssert.GetAsync(api, "/v1/users");
        Assert.Contains(users.EnumerateArray(), user => user.GetProperty("email").GetString() == PlatformFixture.DevelopmentOwnerEmail);
    }

    [Fact]
    public async Task Ingest_takes_a_users_token()
    {
        var (_, _, session) = await OwnerOfNewOrganizationAsync();
        using var ingest = platform.CreateClient(ResourceNames.Ingest, AccessToken(session));

        using var response = await ingest.PostAsJsonAsync("/v1/observations", new[] { Heartbeat() });

        await ProblemAssert.SucceededAsync(response);
    }

    [Fact]
    public async Task A_refresh_token_works_once_and_its_reuse_ends_the_session()
    {
        var (_, _, first) = await OwnerOfNewOrganizationAsync();

        var second = await RefreshAsync(RefreshToken(first));
        Assert.NotEqual(RefreshToken(first), RefreshToken(second));
        using (var api = platform.CreateClient(ResourceNames.Api, AccessToken(second)))
        {
            await ProblemAssert.GetAsync(api, "/v1/sites");
        }

        // The first token again: refused, and the whole session with it, so the second is dead too.
        using (var reused = await RefreshResponseAsync(RefreshToken(first)))
        {
            var problem = await ProblemAssert.IsAsync(reused, HttpStatusCode.BadRequest);
            Assert.Equal("refresh_token_already_used", problem.GetProperty("error").GetString());
        }
        using var afterReuse = await RefreshResponseAsync(RefreshToken(second));
        await ProblemAssert.IsAsync(afterReuse, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Signing_out_revokes_the_refresh_token()
    {
        var (_, _, session) = await OwnerOfNewOrganizationAsync();
        using var identity = platform.CreateClient(ResourceNames.Identity, AccessToken(session));

        using (var logout = await identity.PostAsync("/auth/v1/logout", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        using var refresh = await RefreshResponseAsync(RefreshToken(session));
        await ProblemAssert.IsAsync(refresh, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_invited_user_sets_a_password_signs_in_and_has_the_role_given()
    {
        var (orgId, apiKey, owner) = await OwnerOfNewOrganizationAsync();
        await platform.AddCameraAsync(apiKey, "store-1", "cam-1");
        var email = $"viewer-{Guid.NewGuid():N}@example.com";

        var invitation = await InviteAsync(owner, email, "viewer", ["store-1"]);
        var accepted = await AcceptAsync(invitation);
        var session = await platform.SignInAsync(email, Password);

        Assert.NotEmpty(AccessToken(accepted));
        var metadata = session.GetProperty("user").GetProperty("app_metadata");
        Assert.Equal((orgId, "viewer"), (metadata.GetProperty("org_id").GetString(), metadata.GetProperty("org_role").GetString()));
        Assert.Equal(["store-1"], metadata.GetProperty("sites").EnumerateArray().Select(s => s.GetString()));
        using var api = platform.CreateClient(ResourceNames.Api, AccessToken(session));
        await ProblemAssert.GetAsync(api, "/v1/sites");
        // A viewer manages no one.
        using (var users = await api.GetAsync("/v1/users"))
        {
            await ProblemAssert.IsAsync(users, HttpStatusCode.Forbidden);
        }
        // The token is one-time.
        using var identity = platform.CreateClient(ResourceNames.Identity);
        using var again = await identity.PostAsJsonAsync("/auth/v1/invite/accept", new { token = invitation.GetProperty("token").GetString(), password = Password + "x" });
        await ProblemAssert.IsAsync(again, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Owners_and_admins_manage_users_and_an_admin_cannot_make_an_owner()
    {
        var (_, apiKey, owner) = await OwnerOfNewOrganizationAsync();
        var adminEmail = $"admin-{Guid.NewGuid():N}@example.com";
        await AcceptAsync(await InviteAsync(owner, adminEmail, "admin"));
        var admin = await platform.SignInAsync(adminEmail, Password);

        using var asAdmin = platform.CreateClient(ResourceNames.Api, AccessToken(admin));
        using (var owners = await asAdmin.PostAsJsonAsync("/v1/users/invitations", new { email = $"o-{Guid.NewGuid():N}@example.com", orgRole = "owner" }))
        {
            await ProblemAssert.IsAsync(owners, HttpStatusCode.Forbidden);
        }
        var operatorInvite = await InviteAsync(admin, $"op-{Guid.NewGuid():N}@example.com", "operator");
        var operatorId = (await AcceptAsync(operatorInvite)).GetProperty("user").GetProperty("id").GetString();
        using (var changed = await asAdmin.PatchAsJsonAsync($"/v1/users/{operatorId}", new { orgRole = "viewer" }))
        {
            await ProblemAssert.SucceededAsync(changed);
            Assert.Equal("viewer", (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orgRole").GetString());
        }
        using (var unknownSite = await asAdmin.PatchAsJsonAsync($"/v1/users/{operatorId}", new { sites = new[] { "nowhere" } }))
        {
            await ProblemAssert.InvalidAtAsync(unknownSite, "$.sites[0]");
        }
        var ownerId = owner.GetProperty("user").GetProperty("id").GetString();
        using (var demote = await asAdmin.PatchAsJsonAsync($"/v1/users/{ownerId}", new { orgRole = "viewer" }))
        {
            await ProblemAssert.IsAsync(demote, HttpStatusCode.Forbidden);
        }
        // API keys carry no role: they manage no users.
        using var withKey = platform.CreateClient(ResourceNames.Api, apiKey);
        using var listed = await withKey.GetAsync("/v1/users");
        await ProblemAssert.IsAsync(listed, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_disabled_users_unexpired_token_is_refused_and_its_refresh_token_revoked()
    {
        var (_, _, owner) = await OwnerOfNewOrganizationAsync();
        var email = $"op-{Guid.NewGuid():N}@example.com";
        await AcceptAsync(await InviteAsync(owner, email, "operator"));
        var session = await platform.SignInAsync(email, Password);
        using var asOperator = platform.CreateClient(ResourceNames.Api, AccessToken(session));
        await ProblemAssert.GetAsync(asOperator, "/v1/sites");

        using var asOwner = platform.CreateClient(ResourceNames.Api, AccessToken(owner));
        using (var disabled = await asOwner.PostAsync($"/v1/users/{session.GetProperty("user").GetProperty("id").GetString()}/disable", null))
        {
            await ProblemAssert.SucceededAsync(disabled);
            Assert.True((await disabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("disabled").GetBoolean());
        }

        // The API instance that disabled the user refuses it at once.
        using (var refused = await asOperator.GetAsync("/v1/sites"))
        {
            var problem = await ProblemAssert.IsAsync(refused, HttpStatusCode.Unauthorized);
            Assert.Contains("disabled", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // Ingest within Auth:UserStatusCacheSeconds.
        using var ingest = platform.CreateClient(ResourceNames.Ingest, AccessToken(session));
        await Eventually.Until(
            async () =>
            {
                using var response = await ingest.PostAsJsonAsync("/v1/observations", new[] { Heartbeat() });
                return response.StatusCode;
            },
            status => status == HttpStatusCode.Unauthorized,
            "ingest to refuse the disabled user's token");
        using var refresh = await RefreshResponseAsync(RefreshToken(session));
        await ProblemAssert.IsAsync(refresh, HttpStatusCode.BadRequest);
        using var signIn = await platform.SignInResponseAsync(email, Password);
        await ProblemAssert.IsAsync(signIn, HttpStatusCode.BadRequest);
    }

    public static TheoryData<string> BadTokens => ["expired", "wrongly signed", "wrong audience", "alg none", "tampered payload", "organization only in user_metadata"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_gets_401_problem_json_and_changes_nothing(string kind)
    {
        var (orgId, _, session) = await OwnerOfNewOrganizationAsync();
        var token = await ForgeAsync(kind, new JsonWebToken(AccessToken(session)));
        using var api = platform.CreateClient(ResourceNames.Api, token);

        using var response = await api.PutAsJsonAsync("/v1/sites/store-1", new { name = "Store", timeZone = "Europe/Berlin" });

        await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(0L, await platform.ScalarAsync<long>("SELECT count(*) FROM sites WHERE org_id = $1", orgId));
    }

    /// <summary>
    /// A token that differs from a valid one in exactly one way; where it needs a valid signature,
    /// it is signed with the identity service's own key, read from the database, so only the
    /// named flaw can be why it is refused.
    /// </summary>
    private async Task<string> ForgeAsync(string kind, JsonWebToken valid)
    {
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Payload(valid).GetRawText())!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        switch (kind)
        {
            case "expired":
                payload["iat"] = JsonSerializer.SerializeToElement(now - 3600);
                payload["nbf"] = JsonSerializer.SerializeToElement(now - 3600);
                payload["exp"] = JsonSerializer.SerializeToElement(now - 600);
                return await SignWithServiceKeyAsync(payload);
            case "wrongly signed":
                using (var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
                {
                    return new JsonWebTokenHandler().CreateToken(
                        JsonSerializer.Serialize(payload),
                        new SigningCredentials(Uncached(new ECDsaSecurityKey(other) { KeyId = valid.Kid }), SecurityAlgorithms.EcdsaSha256));
                }
            case "wrong audience":
                payload["aud"] = JsonSerializer.SerializeToElement("anon");
                return await SignWithServiceKeyAsync(payload);
            case "alg none":
                return $"{Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""")}.{Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload))}.";
            case "tampered payload":
                payload["email"] = JsonSerializer.SerializeToElement("someone-else@example.com");
                return $"{valid.EncodedHeader}.{Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload))}.{valid.EncodedSignature}";
            case "organization only in user_metadata":
                payload["app_metadata"] = JsonSerializer.SerializeToElement(new { provider = "email" });
                payload["user_metadata"] = JsonSerializer.SerializeToElement(new { org_id = valid.GetPayloadValue<JsonElement>("app_metadata").GetProperty("org_id").GetString(), org_role = "owner" });
                return await SignWithServiceKeyAsync(payload);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private async Task<string> SignWithServiceKeyAsync(Dictionary<string, JsonElement> payload)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        var stored = (await SigningKeyStore.ActiveKeysAsync(dataSource, () => throw new InvalidOperationException("The identity service made no key"), CancellationToken.None))[0];
        using var ecdsa = System.Security.Cryptography.ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(stored.PrivateKey, out _);
        return new JsonWebTokenHandler().CreateToken(
            JsonSerializer.Serialize(payload),
            new SigningCredentials(Uncached(new ECDsaSecurityKey(ecdsa) { KeyId = stored.KeyId }), SecurityAlgorithms.EcdsaSha256));
    }

    /// <summary>The handler caches a signer per key id; these keys are disposed after one token.</summary>
    private static ECDsaSecurityKey Uncached(ECDsaSecurityKey key)
    {
        key.CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false };
        return key;
    }

    /// <summary>A new organization with an API key and an owner, signed in through the service.</summary>
    private async Task<(string OrgId, string ApiKey, JsonElement Session)> OwnerOfNewOrganizationAsync()
    {
        var (orgId, apiKey) = await platform.CreateOrganizationAsync();
        return (orgId, apiKey, (await platform.AddAsync(orgId, "owner")).Session);
    }

    private async Task<JsonElement> InviteAsync(JsonElement inviter, string email, string role, string[]? sites = null)
    {
        using var api = platform.CreateClient(ResourceNames.Api, AccessToken(inviter));
        using var response = await api.PostAsJsonAsync("/v1/users/invitations", new { email, orgRole = role, sites });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var invitation = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/auth/v1/invite/accept", invitation.GetProperty("acceptUrl").GetString(), StringComparison.Ordinal);
        return invitation;
    }

    private async Task<JsonElement> AcceptAsync(JsonElement invitation)
    {
        using var identity = platform.CreateClient(ResourceNames.Identity);
        using var response = await identity.PostAsJsonAsync("/auth/v1/invite/accept", new { token = invitation.GetProperty("token").GetString(), password = Password });
        await ProblemAssert.SucceededAsync(response);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> RefreshAsync(string refreshToken)
    {
        using var response = await RefreshResponseAsync(refreshToken);
        await ProblemAssert.SucceededAsync(response);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<HttpResponseMessage> RefreshResponseAsync(string refreshToken)
    {
        using var identity = platform.CreateClient(ResourceNames.Identity);
        return await identity.PostAsJsonAsync("/auth/v1/token?grant_type=refresh_token", new Dictionary<string, string> { ["refresh_token"] = refreshToken });
    }


    private static string AccessToken(JsonElement session) => session.GetProperty("access_token").GetString()!;

    private static string RefreshToken(JsonElement session) => session.GetProperty("refresh_token").GetString()!;

    private static JsonElement Payload(JsonWebToken token) => JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload)).RootElement.Clone();

    private static object Heartbeat() => new
    {
        type = "camera_heartbeat",
        schemaVersion = 1,
        siteId = "store-1",
        cameraId = "cam-1",
        occurredAt = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
    };
}
