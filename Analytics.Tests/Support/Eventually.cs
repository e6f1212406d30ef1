namespace Analytics.Tests.Platform;

/// <summary>Waits for a condition on asynchronous results, checking it repeatedly until a deadline.</summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Reads until <paramref name="done"/> holds and returns that value; fails after the timeout
    /// with <paramref name="what"/> and the last value read.
    /// </summary>
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}; last seen: {Describe(value)}");
            }
            await Task.Delay(100);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        System.Collections.ICollection items => $"{items.Count} item(s): [{string.Join(", ", items.Cast<object>().Take(5))}]",
        _ => value?.ToString() ?? "null",
    };
}
