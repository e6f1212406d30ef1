using Npgsql;

namespace Analytics.EventLog;

/// <summary>Waiting on a LISTEN connection for a bounded time.</summary>
public static class NotificationWait
{
    /// <summary>
    /// Waits up to <paramref name="timeout"/> for a notification on <paramref name="listener"/>.
    /// Npgsql takes the timeout in whole milliseconds, truncated, and reads 0 as "no timeout", so
    /// a wait for a deadline less than a millisecond away would otherwise last until the next
    /// notification, which may never come. The timeout is rounded up instead.
    /// </summary>
    /// <returns>Whether a notification arrived.</returns>
    public static Task<bool> WaitForNotificationAsync(this NpgsqlConnection listener, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        var milliseconds = (int)Math.Min(Math.Ceiling(timeout.TotalMilliseconds), int.MaxValue);
        return listener.WaitAsync(milliseconds, cancellationToken);
    }
}
