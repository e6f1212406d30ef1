using System.Threading.Channels;
using Analytics.Consumers;
using Microsoft.Extensions.Time.Testing;

namespace Analytics.Tests.Consumers;

/// <summary>
/// A consumer that keeps failing waits longer each time, up to 30 s; one that failed after a long
/// healthy run starts over at 1 s instead of inheriting the wait of failures long past.
/// </summary>
public sealed class ConsumerRestartsTests
{
    private static readonly TimeSpan Quickly = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void Failures_in_a_row_double_the_wait_up_to_thirty_seconds()
    {
        var waits = new List<double>();
        TimeSpan? wait = null;
        for (var i = 0; i < 8; i++)
        {
            wait = ConsumerRestarts.BackoffAfter(wait, Quickly);
            waits.Add(wait.Value.TotalSeconds);
        }

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], waits);
    }

    [Fact]
    public void A_failure_after_a_run_longer_than_the_longest_wait_starts_over_at_one_second()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), ConsumerRestarts.BackoffAfter(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5)));
        // A run no longer than the longest wait is still the same trouble.
        Assert.Equal(TimeSpan.FromSeconds(30), ConsumerRestarts.BackoffAfter(TimeSpan.FromSeconds(16), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_loop_that_keeps_failing_is_started_again_after_each_wait_on_the_clock_and_never_given_up()
    {
        var clock = new FakeTimeProvider();
        var runs = Channel.CreateUnbounded<int>();
        var waits = Channel.CreateUnbounded<TimeSpan>();
        var run = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var loop = ConsumerRestarts.RunAsync(
            async token =>
            {
                await runs.Writer.WriteAsync(++run, token);
                if (run <= 4)
                {
                    // A bug, not a fault of the moment: it must not end the loop either.
                    throw run % 2 == 0 ? new InvalidOperationException("broken invariant") : new TimeoutException();
                }
                await Task.Delay(Timeout.InfiniteTimeSpan, clock, token);
            },
            (_, wait) => waits.Writer.TryWrite(wait),
            clock,
            stop.Token);

        Assert.Equal(1, await runs.Reader.ReadAsync(stop.Token));
        foreach (var (expectedWait, nextRun) in new[] { (1, 2), (2, 3), (4, 4), (8, 5) })
        {
            var wait = await waits.Reader.ReadAsync(stop.Token);
            Assert.Equal(TimeSpan.FromSeconds(expectedWait), wait);
            // Not a moment before the wait is over on the clock.
            clock.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.False(runs.Reader.TryRead(out _), $"run {nextRun} started before its wait of {wait} was over");
            clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(nextRun, await runs.Reader.ReadAsync(stop.Token));
        }

        await stop.CancelAsync();
        await loop;
        Assert.False(waits.Reader.TryRead(out _), "stopping is not a failure");
    }

    [Fact]
    public async Task A_loop_that_returns_is_started_again_at_once()
    {
        var clock = new FakeTimeProvider();
        var runs = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ConsumerRestarts.RunAsync(
            async token =>
            {
                if (++runs == 3)
                {
                    await stop.CancelAsync();
                }
            },
            (e, _) => Assert.Fail($"no failure, yet a restart: {e}"),
            clock,
            stop.Token);

        Assert.Equal(3, runs);
    }
}
