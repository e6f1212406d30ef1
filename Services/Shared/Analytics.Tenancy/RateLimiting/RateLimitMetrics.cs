using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Analytics.Tenancy.RateLimiting;

/// <summary>
/// Requests turned away with 429, on the platform's meter (Prometheus:
/// <c>analytics_requests_rate_limited_total{service, org_id, limit}</c>). Only organizations that
/// hit a limit get a series, so the organization is a tag worth its cardinality: it names who to call.
/// </summary>
public sealed class RateLimitMetrics
{
    public const string InstrumentName = "analytics.requests.rate_limited";

    private readonly Counter<long> _rateLimited;
    private readonly KeyValuePair<string, object?> _service;

    public RateLimitMetrics(IMeterFactory meterFactory, string service)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _rateLimited = meterFactory.Create(Telemetry.MeterName).CreateCounter<long>(
            InstrumentName, "{request}", "Requests answered 429 because the organization's or the key's rate limit was reached");
        _service = new("service", service);
    }

    public void RateLimited(string orgId, LimitKind limit) =>
        _rateLimited.Add(1, _service, new("org_id", orgId), new("limit", Label(limit)));

    /// <summary>How the metric and the 429 problem name the limit: <c>organization</c> or <c>key</c>.</summary>
    public static string Label(LimitKind limit) => limit == LimitKind.Organization ? "organization" : "key";
}
