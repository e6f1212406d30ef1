using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Tenancy;

/// <summary>Where the access tokens of people come from (README, "Sign-in and tokens").</summary>
public enum TokenSource
{
    /// <summary>No user tokens: API keys only.</summary>
    None,

    /// <summary>The platform's own identity service, by its JWKS URL (the AppHost passes it).</summary>
    Local,

    /// <summary>A Supabase project: its JWKS, or its legacy HS256 JWT secret.</summary>
    Supabase,

    /// <summary>Any OpenID Connect issuer, by its authority URL (discovery document and keys).</summary>
    Oidc,
}

/// <summary>
/// How ingest and the API validate the bearer tokens of people, beside API keys. Whatever the
/// source, the caller's organization, role and sites are read from claims the platform controls
/// (by default Supabase's <c>app_metadata</c>), never from <c>user_metadata</c>, which users edit.
/// </summary>
public sealed class AuthSettings : IValidatableObject
{
    public const string SectionName = SettingsSections.Auth;

    /// <summary>Where user tokens come from: None (API keys only), Local (the platform's identity service), Supabase (a project's JWKS or legacy HS256 secret) or Oidc (any OpenID Connect issuer).</summary>
    public TokenSource Mode { get; set; } = TokenSource.None;

    /// <summary>Local: the identity service's public keys, e.g. http://identity/auth/v1/.well-known/jwks.json; the AppHost passes it.</summary>
    [AbsoluteHttpUrl]
    public string? JwksUrl { get; set; }

    /// <summary>Local: the iss every token must carry (the identity service's Identity:Issuer). Supabase: defaults to the project URL with /auth/v1. Oidc: defaults to the issuer of the discovery document.</summary>
    [AbsoluteHttpUrl]
    public string? Issuer { get; set; }

    /// <summary>Supabase: the project URL (https://PROJECT.supabase.co); its keys are read from /auth/v1/.well-known/jwks.json.</summary>
    [AbsoluteHttpUrl]
    public string? SupabaseUrl { get; set; }

    /// <summary>Supabase: the project's legacy JWT secret (HS256, at least 32 characters); when set it replaces the JWKS. Keep it in a secret store.</summary>
    public string? JwtSecret { get; set; }

    /// <summary>Oidc: the issuer's authority URL; its discovery document is read from /.well-known/openid-configuration.</summary>
    [AbsoluteHttpUrl]
    public string? Authority { get; set; }

    /// <summary>The aud every token must carry; Supabase and the identity service use authenticated.</summary>
    [Required]
    public string Audience { get; set; } = "authenticated";

    /// <summary>Path of the claim naming the caller's organization, dots between levels; never under user_metadata.</summary>
    [Required]
    public string OrgIdClaim { get; set; } = "app_metadata.org_id";

    /// <summary>Path of the claim with the caller's role in the organization (owner, admin, operator, viewer).</summary>
    [Required]
    public string RoleClaim { get; set; } = "app_metadata.org_role";

    /// <summary>Path of the claim listing the sites the caller is limited to; absent or empty: every site.</summary>
    [Required]
    public string SitesClaim { get; set; } = "app_metadata.sites";

    /// <summary>How long a user's enabled state is trusted before the database is asked again: a disabled user's unexpired token stops working within this time (at once on the API instance that disabled it).</summary>
    [Range(0, 300)]
    public int UserStatusCacheSeconds { get; set; } = 10;

    /// <summary>Tolerated difference between the issuer's clock and ours when checking exp and nbf.</summary>
    [Range(0, 300)]
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>Shorter HS256 secrets can be brute-forced; Supabase's are 40 characters and more.</summary>
    public const int MinJwtSecretLength = 32;

    /// <summary>Claim trees a user can write into their own token; no setting may read from them.</summary>
    private static readonly string[] UserEditable = ["user_metadata", "raw_user_meta_data"];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        string Key(string member) => SettingsValidator.KeyOf(validationContext, member);

        switch (Mode)
        {
            case TokenSource.Local:
                if (string.IsNullOrWhiteSpace(JwksUrl))
                {
                    yield return new ValidationResult($"{Key(nameof(JwksUrl))} is required when {Key(nameof(Mode))} is Local", [nameof(JwksUrl)]);
                }
                if (string.IsNullOrWhiteSpace(Issuer))
                {
                    yield return new ValidationResult($"{Key(nameof(Issuer))} is required when {Key(nameof(Mode))} is Local", [nameof(Issuer)]);
                }
                break;
            case TokenSource.Supabase:
                if (string.IsNullOrWhiteSpace(SupabaseUrl))
                {
                    yield return new ValidationResult($"{Key(nameof(SupabaseUrl))} is required when {Key(nameof(Mode))} is Supabase", [nameof(SupabaseUrl)]);
                }
                if (JwtSecret is { } secret && secret.Length < MinJwtSecretLength)
                {
                    // The secret is never echoed.
                    yield return new ValidationResult(
                        $"{Key(nameof(JwtSecret))} must have at least {MinJwtSecretLength} characters, had {secret.Length}", [nameof(JwtSecret)]);
                }
                break;
            case TokenSource.Oidc:
                if (string.IsNullOrWhiteSpace(Authority))
                {
                    yield return new ValidationResult($"{Key(nameof(Authority))} is required when {Key(nameof(Mode))} is Oidc", [nameof(Authority)]);
                }
                break;
        }
        foreach (var (member, path) in new[] { (nameof(OrgIdClaim), OrgIdClaim), (nameof(RoleClaim), RoleClaim), (nameof(SitesClaim), SitesClaim) })
        {
            if (path is not null && UserEditable.Contains(path.Split('.')[0], StringComparer.Ordinal))
            {
                yield return new ValidationResult(
                    $"{Key(member)} must not read from {path.Split('.')[0]}, which users can edit, was {SettingsValidator.Format(path)}", [member]);
            }
        }
    }

    /// <summary>Supabase: the project's auth endpoint, which issues its tokens and publishes its keys.</summary>
    public string? SupabaseAuthUrl => SupabaseUrl is null ? null : SupabaseUrl.TrimEnd('/') + "/auth/v1";

    /// <summary>The issuer tokens must name, when it is known without asking the issuer.</summary>
    public string? ExpectedIssuer => Mode switch
    {
        TokenSource.Supabase => Issuer ?? SupabaseAuthUrl,
        _ => Issuer,
    };
}
