using Analytics.Consumers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Analytics.Tests.Consumers;

/// <summary>When a consumer's service says degraded, and when it is healthy again, on a fake clock.</summary>
public sealed class ConsumerStatusTests : IDisposable
{
    private static readonly ConsumerSettings Settings = new() { MaxLagSeconds = 60, RestartsBeforeDegraded = 3, DegradedWindowSeconds = 300 };

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ConsumerStatus _status;

    public ConsumerStatusTests()
    {
        _status = new ConsumerStatus(Options.Create(Settings), _clock, _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _status.Register("fusion");
        _status.Register("notifier");
        _status.Handled("fusion", reachedHead: true);
        _status.Handled("notifier", reachedHead: true);
    }

    public void Dispose()
    {
        _status.Dispose();
        _services.Dispose();
    }

    [Fact]
    public async Task A_dead_letter_degrades_health_for_the_window_and_names_the_consumer()
    {
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        _status.DeadLettered("notifier");
        var degraded = await CheckAsync();
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("notifier set 1 entries aside", degraded.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("fusion", degraded.Description, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromSeconds(Settings.DegradedWindowSeconds - 1));
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync()).Status);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);
    }

    [Fact]
    public async Task Restarts_degrade_health_only_when_they_keep_coming_within_the_window()
    {
        _status.Restarted("fusion");
        _status.Handled("fusion", reachedHead: true);
        _clock.Advance(TimeSpan.FromSeconds(200));
        _status.Restarted("fusion");
        _status.Handled("fusion", reachedHead: true);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        // The first restart has left the window when the third comes: still two within it.
        _clock.Advance(TimeSpan.FromSeconds(101));
        _status.Restarted("fusion");
        _status.Handled("fusion", reachedHead: true);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);

        _status.Restarted("fusion");
        _status.Handled("fusion", reachedHead: true);
        var degraded = await CheckAsync();
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("fusion restarted 3 times", degraded.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lag_counts_from_the_last_time_the_consumer_had_read_everything()
    {
        _status.Handled("fusion", reachedHead: false);
        _clock.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(TimeSpan.FromSeconds(45), _status.Lag("fusion"));
        Assert.Equal(TimeSpan.Zero, _status.Lag("notifier"));
        _status.Handled("fusion", reachedHead: false);
        _clock.Advance(TimeSpan.FromSeconds(16));
        var degraded = await CheckAsync();
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("fusion has not caught up with its log for 61 s", degraded.Description, StringComparison.Ordinal);

        _status.Handled("fusion", reachedHead: true);
        Assert.Equal(TimeSpan.Zero, _status.Lag("fusion"));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync()).Status);
    }

    [Fact]
    public void A_consumer_that_never_caught_up_since_it_started_lags_from_its_start()
    {
        _status.Register("antitheft");
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(30), _status.Lag("antitheft"));
    }

    private Task<HealthCheckResult> CheckAsync() => _status.CheckHealthAsync(new HealthCheckContext());
}
