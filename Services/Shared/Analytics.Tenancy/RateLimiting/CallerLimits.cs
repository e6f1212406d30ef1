using System.Globalization;
using Analytics.Data.Tenancy;

namespace Analytics.Tenancy.RateLimiting;

/// <summary>One token bucket's size and refill rate.</summary>
public readonly record struct BucketLimits(int TokensPerSecond, int Burst);

/// <summary>Which bucket turned a request away; the <c>limit</c> of the metric and of the 429 problem.</summary>
public enum LimitKind
{
    Organization,
    Key,
}

/// <summary>The two buckets a caller's request takes a token from.</summary>
public readonly record struct CallerLimits(BucketLimits Organization, BucketLimits Key)
{
    /// <summary>
    /// The configured limits, with each pair an organization's override sets in their place; a
    /// pair it leaves null (or a half-set pair, which the database refuses) keeps the default.
    /// </summary>
    public static CallerLimits Of(RateLimitSettings settings, RateLimitOverride? overridden) => new(
        overridden is { OrgTokensPerSecond: { } orgRate, OrgBurst: { } orgBurst } ? new(orgRate, orgBurst) : settings.Organization.ToLimits(),
        overridden is { KeyTokensPerSecond: { } keyRate, KeyBurst: { } keyBurst } ? new(keyRate, keyBurst) : settings.Key.ToLimits());

    public BucketLimits this[LimitKind kind] => kind == LimitKind.Organization ? Organization : Key;

    /// <summary>
    /// The <c>Retry-After</c> value for a lease's wait: whole seconds, rounded up so a client that
    /// waits that long finds a token, and at least 1 (0 would invite an immediate retry into the
    /// same empty bucket). No wait known: 1.
    /// </summary>
    public static string RetryAfterSeconds(TimeSpan? wait) =>
        Math.Max(1, (long)Math.Ceiling((wait ?? TimeSpan.Zero).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
