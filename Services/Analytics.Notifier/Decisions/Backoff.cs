namespace Analytics.Notifier.Decisions;

/// <summary>
/// When a failed delivery is tried again. The schedule is stored with the delivery, not kept in
/// memory by a retry library, so it survives a restart of the notifier.
/// </summary>
public static class Backoff
{
    /// <summary>
    /// Delay after <paramref name="failedAttempts"/> failures: the exponential step
    /// <c>min(max, initial * 2^(failures - 1))</c>, jittered uniformly into its upper half
    /// ("equal jitter"), so receivers that failed together are not retried in lockstep while the
    /// delay still grows and never exceeds <paramref name="maxSeconds"/>.
    /// </summary>
    public static TimeSpan AfterFailures(int failedAttempts, double initialSeconds, double maxSeconds, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var step = Step(failedAttempts, initialSeconds, maxSeconds);
        return TimeSpan.FromSeconds(step / 2 + (random.NextDouble() * step / 2));
    }

    /// <summary>The delay before jitter: doubling from <paramref name="initialSeconds"/>, capped at <paramref name="maxSeconds"/>.</summary>
    public static double Step(int failedAttempts, double initialSeconds, double maxSeconds) =>
        // The exponent is bounded so 2^n cannot overflow to infinity for absurd attempt counts.
        Math.Min(maxSeconds, initialSeconds * Math.Pow(2, Math.Min(failedAttempts - 1, 62)));
}
