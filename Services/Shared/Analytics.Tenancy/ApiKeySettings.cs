using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;

namespace Analytics.Tenancy;

/// <summary>
/// Per-organization API keys that edge devices and integrations present. Admins manage them through
/// the API (<c>/v1/api-keys</c>); keys are stored only as hashes. These seeds let a development run
/// start with one.
/// </summary>
public sealed class ApiKeySettings : IValidatableObject
{
    public const string SectionName = "ApiKeys";

    /// <summary>Keys created (idempotently) at start-up, each for one organization; for development and tests.</summary>
    public IList<SeededApiKey> Seed { get; set; } = [];

    /// <summary>How long a verified key is trusted before the database is asked again; a revoked key stops working within this time.</summary>
    [Range(0, 3600)]
    public int CacheSeconds { get; set; } = 30;

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
            if (seed.Key is null || seed.Key.Length < SeededApiKey.MinKeyLength)
            {
                yield return new ValidationResult(
                    $"{key}:Key must have at least {SeededApiKey.MinKeyLength} characters, had {seed.Key?.Length ?? 0}", [$"{nameof(Seed)}:{i}:Key"]);
            }
            if (seed.Scopes is not null && seed.Scopes.Any(s => !ApiKeyScopes.IsKnown(s)))
            {
                yield return new ValidationResult(
                    $"{key}:Scopes must list one or more of {string.Join(", ", ApiKeyScopes.All)}, was '{string.Join(", ", seed.Scopes)}'",
                    [$"{nameof(Seed)}:{i}:Scopes"]);
            }
        }
    }
}

/// <summary>One API key to create at start-up.</summary>
public sealed class SeededApiKey
{
    /// <summary>Shorter keys could be guessed; generated keys have 32 random bytes.</summary>
    public const int MinKeyLength = 32;

    public string OrgId { get; set; } = "";

    public string Key { get; set; } = "";

    public string Name { get; set; } = "seeded";

    /// <summary>What the key may be used for; unset: everything a key can (a development key).</summary>
    public IList<string>? Scopes { get; set; }

    /// <summary>The configured scopes, or every scope.</summary>
    public IReadOnlyList<string> ScopesOrAll() => Scopes is { Count: > 0 } scopes ? [.. scopes.Distinct(StringComparer.Ordinal)] : ApiKeyScopes.All;
}
