using Polly;
using Polly.Retry;

namespace Analytics.Consumers;

/// <summary>
/// Runs a consumer loop for as long as the service runs: whatever it fails with, it starts over
/// from its last checkpoint after a wait, backing off exponentially up to 30 s. Nothing past the
/// last committed checkpoint took effect, so starting over loses and repeats nothing. No failure
/// ends the loop, so none ends the process: the restarts are counted and reported instead.
/// </summary>
public static class ConsumerRestarts
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="consume"/> until <paramref name="stoppingToken"/> is cancelled; when it
    /// returns it is started again at once (it returns to start over, e.g. after setting an entry aside).
    /// </summary>
    public static async Task RunAsync(
        Func<CancellationToken, Task> consume, Action<Exception, TimeSpan> onRestart, TimeProvider clock, CancellationToken stoppingToken)
    {
        TimeSpan? backoff = null;
        var started = clock.GetTimestamp();
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => !stoppingToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                DelayGenerator = _ =>
                {
                    backoff = BackoffAfter(backoff, clock.GetElapsedTime(started));
                    return ValueTask.FromResult<TimeSpan?>(backoff);
                },
                OnRetry = args =>
                {
                    onRestart(args.Outcome.Exception!, args.RetryDelay);
                    return default;
                },
            })
            .Build();

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await pipeline.ExecuteAsync(async token =>
                {
                    started = clock.GetTimestamp();
                    await consume(token);
                }, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
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
