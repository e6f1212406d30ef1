using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Tenancy;

/// <summary>
/// Per-organization API keys that edge devices and, until operator accounts exist, API clients
/// present. Keys are stored only as hashes; these seeds let a development run start with one.
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
}
