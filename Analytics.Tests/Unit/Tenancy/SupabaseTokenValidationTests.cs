using System.Text;
using System.Text.Json;
using Analytics.Tenancy;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Analytics.Tests.Tenancy;

/// <summary>
/// Supabase's legacy mode: tokens signed with the project's HS256 secret, checked with the rules
/// the JWT handler gets from <see cref="JwtValidation.Parameters"/>, then read by <see cref="TokenClaims"/>.
/// The tokens are made here as Supabase makes them, with a test secret.
/// </summary>
public sealed class SupabaseTokenValidationTests
{
    private const string ProjectUrl = "https://abcdefghijklmnop.supabase.co";
    private const string Secret = "super-secret-jwt-token-with-at-least-32-characters-long";
    private static readonly JsonWebTokenHandler Handler = new();

    private static readonly AuthSettings Settings = new() { Mode = TokenSource.Supabase, SupabaseUrl = ProjectUrl, JwtSecret = Secret };

    [Fact]
    public async Task A_token_of_the_project_is_valid_and_names_the_caller_from_app_metadata()
    {
        var token = Sign(Payload());

        var result = await Handler.ValidateTokenAsync(token, JwtValidation.Parameters(Settings));

        Assert.True(result.IsValid, result.Exception?.Message);
        var (caller, refusal) = TokenClaims.Read(PayloadOf(token), Settings);
        Assert.Null(refusal);
        Assert.Equal(("5f0c7b1e-1a2b-4c3d-8e9f-001122334455", "ana@example.com", "org-a", "operator"), (caller!.Subject, caller.Email, caller.OrgId, caller.OrgRole));
        Assert.Equal(["store-1"], caller.Sites);
        var principal = caller.ToPrincipal("Jwt");
        Assert.Equal("org-a", principal.OrgId());
        Assert.Equal("user:5f0c7b1e-1a2b-4c3d-8e9f-001122334455", principal.Actor());
        Assert.Equal("operator", principal.OrgRole());
    }

    [Fact]
    public async Task A_token_signed_with_another_secret_is_refused()
    {
        var token = Sign(Payload(), "another-secret-of-at-least-32-characters-long!!");

        Assert.False((await Handler.ValidateTokenAsync(token, JwtValidation.Parameters(Settings))).IsValid);
    }

    [Theory]
    [InlineData("aud", "\"anon\"")]
    [InlineData("iss", "\"https://other.supabase.co/auth/v1\"")]
    [InlineData("exp", "1700000000")]
    public async Task A_token_with_a_wrong_claim_is_refused(string claim, string json)
    {
        var payload = Payload();
        payload[claim] = JsonDocument.Parse(json).RootElement.Clone();

        Assert.False((await Handler.ValidateTokenAsync(Sign(payload), JwtValidation.Parameters(Settings))).IsValid);
    }

    [Fact]
    public async Task An_unsigned_token_is_refused()
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var body = Base64UrlEncoder.Encode(JsonSerializer.Serialize(Payload()));

        Assert.False((await Handler.ValidateTokenAsync($"{header}.{body}.", JwtValidation.Parameters(Settings))).IsValid);
    }

    [Fact]
    public async Task A_tampered_payload_is_refused()
    {
        var parts = Sign(Payload()).Split('.');
        var payload = Payload();
        payload["app_metadata"] = JsonSerializer.SerializeToElement(new { org_id = "org-b", org_role = "owner" });
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload))}.{parts[2]}";

        Assert.False((await Handler.ValidateTokenAsync(tampered, JwtValidation.Parameters(Settings))).IsValid);
    }

    [Fact]
    public void An_organization_only_in_user_metadata_names_no_caller()
    {
        var payload = Payload();
        payload["app_metadata"] = JsonSerializer.SerializeToElement(new { provider = "email" });
        payload["user_metadata"] = JsonSerializer.SerializeToElement(new { org_id = "org-a", org_role = "owner" });

        var (caller, refusal) = TokenClaims.Read(JsonSerializer.SerializeToElement(payload), Settings);

        Assert.Null(caller);
        Assert.Contains("app_metadata.org_id", refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"org_id":"org-a","org_role":"superuser"}""", "app_metadata.org_role")]
    [InlineData("""{"org_id":"org-a","org_role":"viewer","sites":"store-1"}""", "app_metadata.sites")]
    [InlineData("""{"org_id":"","org_role":"viewer"}""", "app_metadata.org_id")]
    public void Malformed_app_metadata_names_no_caller(string appMetadata, string named)
    {
        var payload = Payload();
        payload["app_metadata"] = JsonDocument.Parse(appMetadata).RootElement.Clone();

        var (caller, refusal) = TokenClaims.Read(JsonSerializer.SerializeToElement(payload), Settings);

        Assert.Null(caller);
        Assert.Contains(named, refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void No_sites_means_every_site()
    {
        var payload = Payload();
        payload["app_metadata"] = JsonSerializer.SerializeToElement(new { org_id = "org-a", org_role = "viewer" });

        var (caller, _) = TokenClaims.Read(JsonSerializer.SerializeToElement(payload), Settings);

        Assert.Empty(caller!.Sites);
    }

    private static Dictionary<string, JsonElement> Payload()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new Dictionary<string, JsonElement>
        {
            ["sub"] = JsonSerializer.SerializeToElement("5f0c7b1e-1a2b-4c3d-8e9f-001122334455"),
            ["email"] = JsonSerializer.SerializeToElement("ana@example.com"),
            ["aud"] = JsonSerializer.SerializeToElement("authenticated"),
            ["role"] = JsonSerializer.SerializeToElement("authenticated"),
            ["iss"] = JsonSerializer.SerializeToElement(ProjectUrl + "/auth/v1"),
            ["iat"] = JsonSerializer.SerializeToElement(now),
            ["exp"] = JsonSerializer.SerializeToElement(now + 3600),
            ["session_id"] = JsonSerializer.SerializeToElement(Guid.NewGuid()),
            ["app_metadata"] = JsonSerializer.SerializeToElement(new { provider = "email", org_id = "org-a", org_role = "operator", sites = new[] { "store-1" } }),
            ["user_metadata"] = JsonSerializer.SerializeToElement(new { }),
        };
    }

    private static string Sign(Dictionary<string, JsonElement> payload, string secret = Secret) =>
        Handler.CreateToken(
            JsonSerializer.Serialize(payload),
            new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256));

    private static JsonElement PayloadOf(string token) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(token.Split('.')[1])).RootElement.Clone();
}
