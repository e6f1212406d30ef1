using System.Runtime.CompilerServices;
using Analytics.EventLog;

namespace Analytics.Tests.EventLog;

public sealed class ReadAheadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_next_item_is_fetched_while_the_caller_works_on_the_current_one()
    {
        var secondFetched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async IAsyncEnumerable<int> Source()
        {
            for (var i = 0; ; i++)
            {
                await Task.Yield();
                if (i == 1)
                {
                    secondFetched.TrySetResult();
                }
                yield return i;
            }
        }

        var seen = new List<int>();
        await foreach (var item in Source().ReadAhead())
        {
            if (item == 0)
            {
                // Without read-ahead the source would not run until this body finished: a timeout.
                await secondFetched.Task.WaitAsync(Timeout);
            }
            seen.Add(item);
            if (item == 3)
            {
                break;
            }
        }

        Assert.Equal([0, 1, 2, 3], seen);
    }

    [Fact]
    public async Task A_failing_caller_cancels_the_pending_fetch_disposes_the_source_and_keeps_its_own_error()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var disposed = false;
        async IAsyncEnumerable<int> Source([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            try
            {
                yield return 0;
                waiting.TrySetResult();
                // Like a feed waiting for a notification that never comes.
                await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
                yield return 1;
            }
            finally
            {
                disposed = true;
            }
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var item in Source().ReadAhead())
            {
                await waiting.Task.WaitAsync(Timeout);
                throw new InvalidOperationException($"failed on {item}");
            }
        }).WaitAsync(Timeout);

        Assert.Equal("failed on 0", error.Message);
        Assert.True(disposed);
    }
}
