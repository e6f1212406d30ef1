using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;

namespace Analytics.Identity;

/// <summary>The platform's own identity service: who it says issued its tokens, how long they last, whom it creates at start-up.</summary>
public sealed class IdentitySettings : IValidatableObject
{
    public const string SectionName = "Identity";

    /// <summary>Shorter passwords are refused when an invitation is accepted and in seeds.</summary>
    public const int MinPasswordLength = 12;

    /// <summary>The iss claim of every access token, the service's public URL with /auth/v1 as Supabase's is; the API expects the same value (Auth:Issuer). The AppHost passes it.</summary>
    [Required, AbsoluteHttpUrl]
    public string Issuer { get; set; } = "http://localhost:5108/auth/v1";

    /// <summary>How long an access token is valid. Role and site changes reach a signed-in user at its next refresh, so within this time.</summary>
    [Range(1, 1440)]
    public int AccessTokenMinutes { get; set; } = 15;

    /// <summary>How long a refresh token can be traded for a new pair; each use starts the time again.</summary>
    [Range(1, 365)]
    public int RefreshTokenDays { get; set; } = 30;

    /// <summary>Accounts created (idempotently) at start-up, each with its organization and role; the AppHost seeds the owner of dev-org. A seed's password replaces a stored one that no longer matches.</summary>
    public IList<SeededAccount> Seed { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Seed.Count; i++)
        {
            var seed = Seed[i];
            var key = SettingsValidator.KeyOf(validationContext, $"{nameof(Seed)}:{i}");
            if (string.IsNullOrWhiteSpace(seed.OrgId) || seed.OrgId.Length > 128)
            {
                yield return new ValidationResult($"{key}:OrgId is required (1 to 128 characters)", [$"{nameof(Seed)}:{i}:OrgId"]);
            }
            if (!new EmailAddressAttribute().IsValid(seed.Email) || string.IsNullOrWhiteSpace(seed.Email))
            {
                yield return new ValidationResult($"{key}:Email must be an e-mail address, was {SettingsValidator.Format(seed.Email)}", [$"{nameof(Seed)}:{i}:Email"]);
            }
            if (seed.Password is null || seed.Password.Length < MinPasswordLength)
            {
                // The password is never echoed.
                yield return new ValidationResult(
                    $"{key}:Password must have at least {MinPasswordLength} characters, had {seed.Password?.Length ?? 0}", [$"{nameof(Seed)}:{i}:Password"]);
            }
            if (!OrgRoles.IsKnown(seed.OrgRole))
            {
                yield return new ValidationResult(
                    $"{key}:OrgRole must be one of {string.Join(", ", OrgRoles.All)}, was {SettingsValidator.Format(seed.OrgRole)}", [$"{nameof(Seed)}:{i}:OrgRole"]);
            }
        }
    }
}

/// <summary>One account to create at start-up.</summary>
public sealed class SeededAccount
{
    public string OrgId { get; set; } = "";

    public string Email { get; set; } = "";

    public string Password { get; set; } = "";

    public string OrgRole { get; set; } = OrgRoles.Owner;
}
