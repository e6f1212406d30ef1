using System.Runtime.CompilerServices;

namespace Analytics.EventLog;

public static class ReadAheadExtensions
{
    /// <summary>
    /// The items of <paramref name="source"/>, fetching the next one while the caller works on the
    /// current one: a consumer then reads its next page while it writes the last, on another
    /// connection, instead of leaving the database idle between the two.
    /// </summary>
    public static async IAsyncEnumerable<T> ReadAhead<T>(this IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var items = source.GetAsyncEnumerator(stop.Token);
        var next = items.MoveNextAsync().AsTask();
        try
        {
            while (await next)
            {
                var current = items.Current;
                next = items.MoveNextAsync().AsTask();
                yield return current;
            }
        }
        finally
        {
            // The caller stopped, by choice or by failure: end the fetch under way before the
            // source is disposed, which an async iterator refuses while it is running.
            await stop.CancelAsync();
            await next.ContinueWith(fetch => _ = fetch.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await items.DisposeAsync();
        }
    }
}
