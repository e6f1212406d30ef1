using Analytics.Schemas.Settings;
using Analytics.Tenancy;

namespace Analytics.Tests.Tenancy;

public sealed class AuthSettingsTests
{
    [Fact]
    public void Api_keys_only_needs_nothing_more() =>
        Assert.Empty(SettingsValidator.Validate(new AuthSettings(), AuthSettings.SectionName));

    [Fact]
    public void Each_source_names_what_it_lacks()
    {
        Assert.Equal(
            ["Auth:JwksUrl is required when Auth:Mode is Local", "Auth:Issuer is required when Auth:Mode is Local"],
            SettingsValidator.Validate(new AuthSettings { Mode = TokenSource.Local }, AuthSettings.SectionName));
        Assert.Equal(
            ["Auth:SupabaseUrl is required when Auth:Mode is Supabase", "Auth:JwtSecret must have at least 32 characters, had 5"],
            SettingsValidator.Validate(new AuthSettings { Mode = TokenSource.Supabase, JwtSecret = "short" }, AuthSettings.SectionName));
        Assert.Equal(
            ["Auth:Authority is required when Auth:Mode is Oidc"],
            SettingsValidator.Validate(new AuthSettings { Mode = TokenSource.Oidc }, AuthSettings.SectionName));
    }

    [Fact]
    public void No_claim_is_read_from_what_users_edit()
    {
        var problems = SettingsValidator.Validate(new AuthSettings { OrgIdClaim = "user_metadata.org_id" }, AuthSettings.SectionName);

        Assert.Equal(["Auth:OrgIdClaim must not read from user_metadata, which users can edit, was 'user_metadata.org_id'"], problems);
    }

    [Fact]
    public void Supabase_tokens_name_the_project_as_issuer_and_keys_come_from_its_jwks()
    {
        var settings = new AuthSettings { Mode = TokenSource.Supabase, SupabaseUrl = "https://ref.supabase.co/" };

        Assert.Equal("https://ref.supabase.co/auth/v1", settings.ExpectedIssuer);
        Assert.Equal("https://ref.supabase.co/auth/v1/.well-known/jwks.json", JwtValidation.JwksUrl(settings));
        settings.JwtSecret = new string('s', 40);
        Assert.Null(JwtValidation.JwksUrl(settings));
    }
}
