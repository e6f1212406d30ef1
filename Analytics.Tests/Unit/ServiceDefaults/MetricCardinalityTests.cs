using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace Analytics.Tests.ServiceDefaults;

/// <summary>
/// Every service's metric streams are capped at <see cref="Extensions.MetricCardinalityLimit"/>
/// attribute sets: past it, nothing is dropped, the rest is summed into one overflow series.
/// </summary>
public sealed class MetricCardinalityTests
{
    [Fact]
    public async Task Attribute_sets_past_the_limit_are_summed_into_one_overflow_series_on_the_metrics_endpoint()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();

        using var meter = new Meter(Telemetry.MeterName);
        var counter = meter.CreateCounter<long>("analytics.test.cardinality");
        const int Beyond = 37;
        for (var camera = 0; camera < Extensions.MetricCardinalityLimit + Beyond; camera++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("camera", $"cam-{camera}"));
        }

        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        var scrape = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var series = scrape.Split('\n').Where(line => line.StartsWith("analytics_test_cardinality_total{", StringComparison.Ordinal)).ToList();

        var perCamera = series.Where(line => line.Contains("camera=\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(Extensions.MetricCardinalityLimit, perCamera.Count);
        Assert.All(perCamera, line => Assert.Equal(1, ValueOf(line)));
        var overflow = Assert.Single(series, line => line.Contains("otel_metric_overflow=\"true\"", StringComparison.Ordinal));
        Assert.Equal(Beyond, ValueOf(overflow));
    }

    /// <summary>The sample value of a Prometheus text line: <c>name{labels} value [timestamp]</c>.</summary>
    private static long ValueOf(string line) =>
        long.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
