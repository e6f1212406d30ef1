using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Tenancy.RateLimiting;

/// <summary>
/// How many requests ingest and the API take from one organization and from one API key (or one
/// user) before answering 429. Each service reads its own copy of the section, so a deployment may
/// give them different limits; an organization's row in <c>rate_limit_overrides</c> replaces
/// either bucket for that organization and service.
/// </summary>
public sealed class RateLimitSettings
{
    public const string SectionName = SettingsSections.RateLimits;

    /// <summary>
    /// Requests of one organization, all its keys and users together. The ingest benchmark's
    /// eight clients peak at about 150 batches/s with one key, so the defaults stop a runaway
    /// client, not ordinary traffic; tighten an organization with an override.
    /// </summary>
    public TokenBucketSettings Organization { get; set; } = new() { TokensPerSecond = 1000, Burst = 2000 };

    /// <summary>Requests of one API key, or of one user's tokens: one runaway device cannot use up its organization's share.</summary>
    public TokenBucketSettings Key { get; set; } = new() { TokensPerSecond = 500, Burst = 1000 };

    /// <summary>Seconds between reads of the overrides in the database; a changed override applies within this time.</summary>
    [Range(1, 3600)]
    public int OverrideRefreshSeconds { get; set; } = 30;
}

/// <summary>A token bucket: one token per request, refilled at a steady rate, holding at most a burst.</summary>
public sealed class TokenBucketSettings : IValidatableObject
{
    /// <summary>The same bounds as the database's check on an override.</summary>
    public const int Max = 1_000_000;

    /// <summary>Requests per second taken on average; the bucket refills at this rate.</summary>
    [Range(1, Max)]
    public int TokensPerSecond { get; set; }

    /// <summary>Requests taken at once after a quiet spell (the bucket's size); at least TokensPerSecond.</summary>
    [Range(1, Max)]
    public int Burst { get; set; }

    // A bucket smaller than a second's refill would cap the rate at the burst, not at TokensPerSecond.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CrossFieldRules.Problems(CrossFieldRules.AtLeast(validationContext, nameof(Burst), Burst, nameof(TokensPerSecond), TokensPerSecond));

    public BucketLimits ToLimits() => new(TokensPerSecond, Burst);
}
