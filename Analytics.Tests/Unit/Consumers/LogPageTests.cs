using Analytics.EventLog;

namespace Analytics.Tests.Consumers;

/// <summary>How the consumer host cuts pages: by position, readable and unreadable entries together.</summary>
public sealed class LogPageTests
{
    private static readonly LogPosition[] At = [.. Enumerable.Range(1, 7).Select(i => new LogPosition(100, i))];

    // Entries 1..7 with 4 unreadable.
    private static readonly LogPage<string> Page = new(
        ["a1", "a2", "a3", "a5", "a6", "a7"],
        [At[0], At[1], At[2], At[4], At[5], At[6]],
        At[6],
        [new UnreadableEntry(At[3], new FormatException("bad"))],
        reachedHead: true);

    [Fact]
    public void Chunks_hold_at_most_the_size_in_order_and_together_hold_everything()
    {
        var chunks = Page.Chunk(3).ToList();

        Assert.Equal([3, 3, 1], chunks.Select(c => c.Count));
        Assert.Equal(["a1", "a2", "a3"], chunks[0].Entries);
        Assert.Equal(["a5", "a6"], chunks[1].Entries);
        Assert.Equal(At[3], Assert.Single(chunks[1].Unreadable).Position);
        Assert.Equal([At[2], At[5], At[6]], chunks.Select(c => c.End));
        // Only the chunk that ends where the page ended saw the head.
        Assert.Equal([false, false, true], chunks.Select(c => c.ReachedHead));
    }

    [Fact]
    public void Single_entry_chunks_isolate_the_unreadable_entry()
    {
        var chunks = Page.Chunk(1).ToList();

        Assert.Equal(7, chunks.Count);
        Assert.All(chunks, c => Assert.Equal(1, c.Count));
        Assert.Equal(At, chunks.Select(c => c.End));
        Assert.Empty(chunks[3].Entries);
    }

    [Fact]
    public void Between_takes_what_lies_after_the_first_position_up_to_the_second()
    {
        var middle = Page.Between(At[1], At[4]);

        Assert.Equal(["a3", "a5"], middle.Entries);
        Assert.Equal([At[2], At[4]], middle.Positions);
        Assert.Single(middle.Unreadable);
        Assert.Equal(At[4], middle.End);
        Assert.Same(Page, Page.Between(LogPosition.Start, At[6]));
        Assert.Equal(0, Page.Between(At[6], At[6]).Count);
    }

    [Fact]
    public void Without_leaves_out_entries_set_aside_and_keeps_the_end()
    {
        var left = Page.Without(new HashSet<LogPosition> { At[0], At[3], At[6] });

        Assert.Equal(["a2", "a3", "a5", "a6"], left.Entries);
        Assert.Empty(left.Unreadable);
        Assert.Equal(At[6], left.End);
    }
}
