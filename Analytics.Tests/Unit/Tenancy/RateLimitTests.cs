using System.Security.Claims;
using System.Threading.RateLimiting;
using Analytics.Data.Tenancy;
using Analytics.Schemas.Settings;
using Analytics.Tenancy;
using Analytics.Tenancy.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Tests.Tenancy;

public sealed class RateLimitSettingsTests
{
    [Fact]
    public void The_defaults_are_valid() =>
        Assert.Empty(SettingsValidator.Validate(new RateLimitSettings(), RateLimitSettings.SectionName));

    [Fact]
    public void Each_bad_value_is_named_by_its_key()
    {
        var settings = new RateLimitSettings
        {
            Organization = new() { TokensPerSecond = 0, Burst = 10 },
            Key = new() { TokensPerSecond = 10, Burst = 5 },
            OverrideRefreshSeconds = 0,
        };

        Assert.Equal(
            [
                "RateLimits:Organization:TokensPerSecond must be between 1 and 1000000, was 0",
                "RateLimits:Key:Burst must be at least RateLimits:Key:TokensPerSecond (5 < 10)",
                "RateLimits:OverrideRefreshSeconds must be between 1 and 3600, was 0",
            ],
            SettingsValidator.Validate(settings, RateLimitSettings.SectionName));
    }

    [Fact]
    public void A_value_that_does_not_convert_stops_the_host_naming_its_key()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RateLimits:Key:Burst"] = "lots",
            ["RateLimits:Organization:TokensPerSecond"] = "5",
        });
        builder.AddValidatedSettings<RateLimitSettings>(RateLimitSettings.SectionName);
        using var host = builder.Build();

        var failure = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<RateLimitSettings>>().Value);

        Assert.Contains("RateLimits:Key:Burst must be a whole number, was 'lots'", failure.Failures);
        // The rest of the section was still read: only what is wrong is reported.
        Assert.Equal(
            "RateLimits:Key:Burst must be a whole number, was 'lots'",
            Assert.Single(failure.Failures));
    }
}

public sealed class CallerLimitsTests
{
    private static readonly RateLimitSettings Defaults = new()
    {
        Organization = new() { TokensPerSecond = 100, Burst = 200 },
        Key = new() { TokensPerSecond = 50, Burst = 60 },
    };

    [Fact]
    public void Without_an_override_an_organization_has_the_configured_limits() =>
        Assert.Equal(new CallerLimits(new(100, 200), new(50, 60)), CallerLimits.Of(Defaults, null));

    [Fact]
    public void An_override_replaces_the_buckets_it_sets_and_keeps_the_others()
    {
        Assert.Equal(
            new CallerLimits(new(1, 2), new(50, 60)),
            CallerLimits.Of(Defaults, new RateLimitOverride { OrgId = "o", OrgTokensPerSecond = 1, OrgBurst = 2 }));
        Assert.Equal(
            new CallerLimits(new(100, 200), new(3, 4)),
            CallerLimits.Of(Defaults, new RateLimitOverride { OrgId = "o", KeyTokensPerSecond = 3, KeyBurst = 4 }));
        Assert.Equal(
            new CallerLimits(new(1, 2), new(3, 4)),
            CallerLimits.Of(Defaults, new RateLimitOverride { OrgId = "o", OrgTokensPerSecond = 1, OrgBurst = 2, KeyTokensPerSecond = 3, KeyBurst = 4 }));
        // Half a pair (which the database refuses) is no override.
        Assert.Equal(
            new CallerLimits(new(100, 200), new(50, 60)),
            CallerLimits.Of(Defaults, new RateLimitOverride { OrgId = "o", OrgTokensPerSecond = 1 }));
    }

    [Theory]
    [InlineData(null, "1")]
    [InlineData(0.0, "1")]
    [InlineData(0.2, "1")]
    [InlineData(1.0, "1")]
    [InlineData(1.01, "2")]
    [InlineData(3.0, "3")]
    public void Retry_after_is_whole_seconds_rounded_up_and_at_least_one(double? seconds, string expected) =>
        Assert.Equal(expected, CallerLimits.RetryAfterSeconds(seconds is { } s ? TimeSpan.FromSeconds(s) : null));

    [Fact]
    public void The_problem_says_which_limit_was_reached_and_what_to_do()
    {
        var organization = CallerRateLimits.Detail("ingest", LimitKind.Organization, new(1, 2));
        Assert.StartsWith("Your organization has sent more requests to ingest than its rate limit of 1 per second (bursts of 2) allows", organization, StringComparison.Ordinal);
        Assert.Contains("Retry-After", organization, StringComparison.Ordinal);
        Assert.Contains("same Idempotency-Key", organization, StringComparison.Ordinal);

        var key = CallerRateLimits.Detail("api", LimitKind.Key, new(3, 4));
        Assert.StartsWith("This API key (or user) has sent more requests to api than its rate limit of 3 per second (bursts of 4) allows", key, StringComparison.Ordinal);
        Assert.Contains("other keys and users are not held back", key, StringComparison.Ordinal);
        Assert.DoesNotContain("Idempotency-Key", key, StringComparison.Ordinal);
    }
}

public sealed class RateLimitOverridesTests
{
    private static readonly RateLimitSettings Defaults = new()
    {
        Organization = new() { TokensPerSecond = 100, Burst = 200 },
        Key = new() { TokensPerSecond = 50, Burst = 60 },
    };

    [Fact]
    public async Task A_database_outage_keeps_the_last_known_overrides()
    {
        var overrides = new RateLimitOverrides(Options.Create(Defaults), NullLogger<RateLimitOverrides>.Instance);
        Assert.Equal(new BucketLimits(100, 200), overrides.For("tight").Organization);

        Assert.True(await overrides.RefreshAsync(_ => Task.FromResult(new[] { Tight("tight") }), CancellationToken.None));
        Assert.Equal(new BucketLimits(1, 2), overrides.For("tight").Organization);
        Assert.Equal(new BucketLimits(100, 200), overrides.For("other").Organization);

        Assert.False(await overrides.RefreshAsync(_ => throw new NpgsqlException("the database is down"), CancellationToken.None));
        Assert.Equal(new BucketLimits(1, 2), overrides.For("tight").Organization);

        // Nor does a fault a retry does not fix throw into the refresher, or lift the limit.
        Assert.False(await overrides.RefreshAsync(_ => throw new InvalidOperationException("a bug"), CancellationToken.None));
        Assert.Equal(new BucketLimits(1, 2), overrides.For("tight").Organization);

        // A removed override is gone with the next read.
        Assert.True(await overrides.RefreshAsync(_ => Task.FromResult(Array.Empty<RateLimitOverride>()), CancellationToken.None));
        Assert.Equal(new BucketLimits(100, 200), overrides.For("tight").Organization);
    }

    internal static RateLimitOverride Tight(string orgId) => new() { OrgId = orgId, OrgTokensPerSecond = 1, OrgBurst = 2 };
}

/// <summary>
/// The chained buckets as the rate limiting middleware asks them, on requests shaped as the
/// authentication handlers leave them. Each test spends a burst; its rates are per hour, so no
/// refill lands between its requests however slowly the machine runs them.
/// </summary>
public sealed class CallerLimiterTests
{
    private static readonly TimeSpan RefillPeriod = TimeSpan.FromHours(1);

    private static readonly Endpoint Authorized = new(_ => Task.CompletedTask, new EndpointMetadataCollection(new AuthorizeAttribute()), "authorized");
    private static readonly Endpoint Open = new(_ => Task.CompletedTask, new EndpointMetadataCollection(new AllowAnonymousAttribute()), "open");

    private readonly RateLimitOverrides _overrides = new(
        Options.Create(new RateLimitSettings
        {
            Organization = new() { TokensPerSecond = 1, Burst = 6 },
            Key = new() { TokensPerSecond = 1, Burst = 2 },
        }),
        NullLogger<RateLimitOverrides>.Instance);

    [Fact]
    public void A_key_over_its_limit_is_refused_as_the_key_and_does_not_drain_its_organization()
    {
        using var limiter = CallerLimiter.Create(_overrides, RefillPeriod);

        Assert.True(Acquire(limiter, "org", "key-a"));
        Assert.True(Acquire(limiter, "org", "key-a"));
        for (var i = 0; i < 5; i++)
        {
            using var refused = limiter.AttemptAcquire(Request("org", "key-a"));
            Assert.False(refused.IsAcquired);
            Assert.True(refused.TryGetMetadata(CallerLimiter.Limit, out var limit));
            Assert.Equal(LimitKind.Key, limit);
            Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var wait));
            Assert.True(wait >= RefillPeriod, $"Retry after {wait}");
        }

        // The organization's burst of 6 still holds the 4 that key-a's refusals did not take.
        Assert.True(Acquire(limiter, "org", "key-b"));
        Assert.True(Acquire(limiter, "org", "key-b"));
        Assert.True(Acquire(limiter, "org", "user:someone"));
        Assert.True(Acquire(limiter, "org", "user:someone"));
        using var organization = limiter.AttemptAcquire(Request("org", "key-c"));
        Assert.False(organization.IsAcquired);
        Assert.True(organization.TryGetMetadata(CallerLimiter.Limit, out var which));
        Assert.Equal(LimitKind.Organization, which);

        // Another organization is not held back, whatever its keys are called.
        Assert.True(Acquire(limiter, "other-org", "key-a"));
    }

    [Fact]
    public void Requests_without_a_caller_are_not_limited()
    {
        using var limiter = CallerLimiter.Create(_overrides, RefillPeriod);
        for (var i = 0; i < 20; i++)
        {
            // A probe, a scrape, a document: no credentials, or credentials an open endpoint ignores.
            using var anonymous = limiter.AttemptAcquire(new DefaultHttpContext());
            Assert.True(anonymous.IsAcquired);
            var open = Request("org", "key-a");
            open.SetEndpoint(Open);
            using var withKey = limiter.AttemptAcquire(open);
            Assert.True(withKey.IsAcquired);
        }
        Assert.True(Acquire(limiter, "org", "key-a"));
    }

    [Fact]
    public async Task A_changed_override_applies_to_the_next_request()
    {
        using var limiter = CallerLimiter.Create(_overrides, RefillPeriod);
        for (var i = 0; i < 6; i++)
        {
            Assert.True(Acquire(limiter, "org", $"key-{i}"));
        }
        Assert.False(Acquire(limiter, "org", "key-6"));

        await _overrides.RefreshAsync(_ => Task.FromResult(new[] { new RateLimitOverride { OrgId = "org", OrgTokensPerSecond = 100, OrgBurst = 100 } }), CancellationToken.None);

        Assert.True(Acquire(limiter, "org", "key-6"));
    }

    private static bool Acquire(PartitionedRateLimiter<HttpContext> limiter, string orgId, string actor)
    {
        using var lease = limiter.AttemptAcquire(Request(orgId, actor));
        return lease.IsAcquired;
    }

    private static DefaultHttpContext Request(string orgId, string actor)
    {
        var context = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(CallerClaims.OrgId, orgId), new Claim(CallerClaims.Actor, actor)], "test")),
        };
        context.SetEndpoint(Authorized);
        return context;
    }
}
