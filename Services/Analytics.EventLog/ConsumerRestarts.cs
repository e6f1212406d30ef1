using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace Analytics.EventLog;

/// <summary>
/// Runs a checkpointed consumer and starts it over from its last checkpoint when it fails with
/// an error a restart can cure (database unreachable, a timeout, a conflicting writer), backing
/// off exponentially up to 30 s. Nothing past the last committed checkpoint took effect, so
/// starting over loses and repeats nothing.
/// </summary>
public static class ConsumerRestarts
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(Func<CancellationToken, Task> consume, Action<Exception, TimeSpan> onRestart, CancellationToken stoppingToken)
    {
        TimeSpan? backoff = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await consume(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is NpgsqlException or JsonException or InvalidOperationException or TimeoutException)
            {
                backoff = BackoffAfter(backoff, Stopwatch.GetElapsedTime(started));
                onRestart(e, backoff.Value);
                await Task.Delay(backoff.Value, stoppingToken);
            }
        }
    }

    /// <summary>
    /// The wait before starting again after a run of <paramref name="ranFor"/> failed: doubling
    /// from 1 s up to 30 s while runs keep failing, and 1 s again after a run that outlasted the
    /// longest wait, since that failure is a new one and not the old one repeating.
    /// </summary>
    /// <param name="previous">The wait before the run that failed; null for the first run.</param>
    /// <param name="ranFor">How long the run that failed had been running.</param>
    public static TimeSpan BackoffAfter(TimeSpan? previous, TimeSpan ranFor) =>
        previous is not { } last || ranFor > MaxBackoff
            ? MinBackoff
            : TimeSpan.FromTicks(Math.Min(last.Ticks * 2, MaxBackoff.Ticks));
}
