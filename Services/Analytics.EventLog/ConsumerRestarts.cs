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
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(Func<CancellationToken, Task> consume, Action<Exception, TimeSpan> onRestart, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await consume(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is NpgsqlException or JsonException or InvalidOperationException or TimeoutException)
            {
                onRestart(e, backoff);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }
}
