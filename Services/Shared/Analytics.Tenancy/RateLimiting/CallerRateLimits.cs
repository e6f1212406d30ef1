using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.RateLimiting;
using Analytics.Schemas;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Tenancy.RateLimiting;

/// <summary>
/// Token buckets on every request that needs a caller: one per organization, one per API key (or
/// per user), with the limits of <see cref="RateLimitSettings"/> or the organization's override.
/// Over either, 429 problem+json with <c>Retry-After</c>, counted by organization; another
/// organization is not held back. Requests without a caller (health, metrics, the documents) pass.
/// </summary>
public static class CallerRateLimits
{
    /// <summary>The services limited, as the overrides' <c>service</c> column names them.</summary>
    public static IReadOnlyList<string> Services { get; } = [ResourceNames.Ingest, ResourceNames.Api];

    /// <param name="builder">The service's builder, with <see cref="TenancyExtensions.AddCallerAuthentication"/> added.</param>
    /// <param name="service">Which service this is (one of <see cref="Services"/>): it picks the overrides that apply.</param>
    public static TBuilder AddCallerRateLimits<TBuilder>(this TBuilder builder, string service) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!Services.Contains(service, StringComparer.Ordinal))
        {
            throw new ArgumentOutOfRangeException(nameof(service), service, $"Rate limits are kept for {string.Join(" and ", Services)} only");
        }
        builder.AddValidatedSettings<RateLimitSettings>(RateLimitSettings.SectionName);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RateLimitOverrides>();
        builder.Services.AddSingleton(sp => new RateLimitMetrics(sp.GetRequiredService<IMeterFactory>(), service));
        builder.Services.AddHostedService(sp => new RateLimitOverrideRefresher(
            service,
            sp.GetRequiredService<RateLimitOverrides>(),
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<RateLimitSettings>>(),
            sp.GetRequiredService<TimeProvider>()));

        // AddRateLimiter also registers ASP.NET Core's own rate limiting metrics.
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<RateLimitOverrides>((options, overrides) =>
        {
            options.GlobalLimiter = CallerLimiter.Create(overrides);
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (rejected, _) => WriteRejectionAsync(rejected, service);
        });
        return builder;
    }

    /// <summary>
    /// Authentication, authorization, then the limits, in that order: the buckets are the caller's,
    /// so the caller must be known, and a request refused 401 or 403 takes no token. Said here, not
    /// left to the host, which puts the first two ahead of everything only when nobody calls them.
    /// </summary>
    public static TApp UseCallerRateLimits<TApp>(this TApp app) where TApp : IApplicationBuilder
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    private static async ValueTask WriteRejectionAsync(OnRejectedContext rejected, string service)
    {
        var context = rejected.HttpContext;
        var services = context.RequestServices;
        var orgId = context.User.OrgId();
        var limit = rejected.Lease.TryGetMetadata(CallerLimiter.Limit, out var kind) ? kind : LimitKind.Organization;
        var limits = services.GetRequiredService<RateLimitOverrides>().For(orgId)[limit];
        services.GetRequiredService<RateLimitMetrics>().RateLimited(orgId, limit);

        TimeSpan? wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : null;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = CallerLimits.RetryAfterSeconds(wait);
        var problem = new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = Detail(service, limit, limits),
                Extensions = { ["limit"] = RateLimitMetrics.Label(limit) },
            },
        };
        await services.GetRequiredService<IProblemDetailsService>().TryWriteAsync(problem);
    }

    /// <summary>Which limit was reached, and what the caller should do about it.</summary>
    public static string Detail(string service, LimitKind limit, BucketLimits limits)
    {
        var who = limit == LimitKind.Organization
            ? "Your organization has"
            : "This API key (or user) has";
        var others = limit == LimitKind.Organization ? "" : " The organization's other keys and users are not held back.";
        var again = service == ResourceNames.Ingest
            ? "send the same batch again with the same Idempotency-Key"
            : "send the request again";
        return string.Create(CultureInfo.InvariantCulture,
            $"{who} sent more requests to {service} than its rate limit of {limits.TokensPerSecond} per second (bursts of {limits.Burst}) allows; nothing was done.{others} Wait the Retry-After seconds, then {again}, and send more slowly.");
    }
}

/// <summary>The two chained limiters every caller's request passes.</summary>
public static class CallerLimiter
{
    /// <summary>On a refused lease: which bucket refused it.</summary>
    public static readonly MetadataName<LimitKind> Limit = MetadataName.Create<LimitKind>("ANALYTICS_LIMIT");

    /// <summary>
    /// The key's bucket first: a chain keeps the tokens it took when a later limiter refuses, so a
    /// key over its own limit would otherwise go on draining its organization's bucket and hold back
    /// the organization's other keys. The other way round costs less: a request its organization
    /// refuses has spent a token or two of its key's (the middleware asks twice), which matters
    /// only while the organization is over its limit anyway.
    /// </summary>
    public static PartitionedRateLimiter<HttpContext> Create(RateLimitOverrides overrides) => Create(overrides, TimeSpan.FromSeconds(1));

    /// <param name="overrides">The organizations' overrides, and the configured limits.</param>
    /// <param name="refillPeriod">
    /// The time the limits' rates are per: a second. A test that spends a burst takes a long one,
    /// so that no refill lands between its requests however slowly they run.
    /// </param>
    public static PartitionedRateLimiter<HttpContext> Create(RateLimitOverrides overrides, TimeSpan refillPeriod) =>
        PartitionedRateLimiter.CreateChained(
            new LabelledLimiter(PartitionedRateLimiter.Create<HttpContext, Bucket>(context => Partition(context, overrides, LimitKind.Key, refillPeriod)), LimitKind.Key),
            new LabelledLimiter(PartitionedRateLimiter.Create<HttpContext, Bucket>(context => Partition(context, overrides, LimitKind.Organization, refillPeriod)), LimitKind.Organization));

    /// <summary>
    /// Whose bucket a request takes from. The limits are part of the partition's key, so an
    /// override that changes them starts a new bucket at once; the old one is dropped when idle.
    /// </summary>
    private static RateLimitPartition<Bucket> Partition(HttpContext context, RateLimitOverrides overrides, LimitKind kind, TimeSpan refillPeriod)
    {
        if (!NeedsCaller(context) || context.User.FindFirst(CallerClaims.OrgId)?.Value is not { } orgId)
        {
            return RateLimitPartition.GetNoLimiter(default(Bucket));
        }
        var actor = kind == LimitKind.Key ? context.User.FindFirst(CallerClaims.Actor)?.Value : null;
        if (kind == LimitKind.Key && actor is null)
        {
            return RateLimitPartition.GetNoLimiter(default(Bucket));
        }
        return RateLimitPartition.GetTokenBucketLimiter(new Bucket(orgId, actor, overrides.For(orgId)[kind]), bucket => new TokenBucketRateLimiterOptions
        {
            TokenLimit = bucket.Limits.Burst,
            TokensPerPeriod = bucket.Limits.TokensPerSecond,
            ReplenishmentPeriod = refillPeriod,
            // Refused at once: a queued request would hold its connection and time out at the client.
            QueueLimit = 0,
        });
    }

    /// <summary>Exactly the operations the OpenAPI documents declare 429 for (<c>PlatformResponses</c>).</summary>
    private static bool NeedsCaller(HttpContext context) =>
        context.GetEndpoint()?.Metadata is { } metadata
        && metadata.GetMetadata<IAuthorizeData>() is not null
        && metadata.GetMetadata<IAllowAnonymous>() is null;

    /// <param name="OrgId">The organization; default for requests that are not limited.</param>
    /// <param name="Actor">The key or user of a key's bucket; null for the organization's.</param>
    /// <param name="Limits">The bucket's limits when it was made.</param>
    private readonly record struct Bucket(string OrgId, string? Actor, BucketLimits Limits);

    /// <summary>Marks the leases a limiter refuses with the bucket it stands for, so the 429 can name it.</summary>
    private sealed class LabelledLimiter(PartitionedRateLimiter<HttpContext> inner, LimitKind kind) : PartitionedRateLimiter<HttpContext>
    {
        public override RateLimiterStatistics? GetStatistics(HttpContext resource) => inner.GetStatistics(resource);

        protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) =>
            Labelled(inner.AttemptAcquire(resource, permitCount));

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
            Labelled(await inner.AcquireAsync(resource, permitCount, cancellationToken));

        private RateLimitLease Labelled(RateLimitLease lease) => lease.IsAcquired ? lease : new RefusedLease(lease, kind);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        protected override async ValueTask DisposeAsyncCore()
        {
            await inner.DisposeAsync();
            await base.DisposeAsyncCore();
        }
    }

    private sealed class RefusedLease(RateLimitLease inner, LimitKind kind) : RateLimitLease
    {
        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => inner.MetadataNames.Append(Limit.Name);

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (metadataName == Limit.Name)
            {
                metadata = kind;
                return true;
            }
            return inner.TryGetMetadata(metadataName, out metadata);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
