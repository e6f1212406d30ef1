using Analytics.EventLog;

namespace Analytics.Tests.EventLog;

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
}
