namespace Analytics.EventLog;

/// <summary>
/// Consecutive entries of a log as one read returned them: the entries that could be read, each
/// with its position, and those that could not (a foreign or damaged row), which a consumer never
/// sees: its host dead-letters them.
/// </summary>
public sealed class LogPage<T>
{
    public LogPage(IReadOnlyList<T> entries, IReadOnlyList<LogPosition> positions, LogPosition end,
        IReadOnlyList<UnreadableEntry>? unreadable = null, bool reachedHead = false)
    {
        if (entries.Count != positions.Count)
        {
            throw new ArgumentException($"{entries.Count} entries but {positions.Count} positions", nameof(positions));
        }
        Entries = entries;
        Positions = positions;
        End = end;
        Unreadable = unreadable ?? [];
        ReachedHead = reachedHead;
    }

    /// <summary>The entries that could be read, in log order.</summary>
    public IReadOnlyList<T> Entries { get; }

    /// <summary>The position of each of <see cref="Entries"/>.</summary>
    public IReadOnlyList<LogPosition> Positions { get; }

    /// <summary>The position of the page's last entry, readable or not: where a checkpoint after it stands.</summary>
    public LogPosition End { get; }

    public IReadOnlyList<UnreadableEntry> Unreadable { get; }

    /// <summary>Whether the read that made this page found nothing more that was committed: the reader had caught up.</summary>
    public bool ReachedHead { get; }

    /// <summary>Readable and unreadable entries together.</summary>
    public int Count => Entries.Count + Unreadable.Count;

    /// <summary>The position of the page's first entry, readable or not; <see cref="End"/> for an empty page.</summary>
    public LogPosition First
    {
        get
        {
            var first = Positions.Count > 0 ? Positions[0] : End;
            foreach (var entry in Unreadable)
            {
                first = entry.Position < first ? entry.Position : first;
            }
            return first;
        }
    }

    /// <summary>The entries after <paramref name="after"/> up to and including <paramref name="upTo"/>.</summary>
    public LogPage<T> Between(LogPosition after, LogPosition upTo)
    {
        if (upTo >= End && First > after)
        {
            // The whole page: the common case on every page a consumer reads, so no copy.
            return this;
        }
        var entries = new List<T>();
        var positions = new List<LogPosition>();
        var end = after;
        for (var i = 0; i < Entries.Count; i++)
        {
            if (Positions[i] > after && Positions[i] <= upTo)
            {
                entries.Add(Entries[i]);
                positions.Add(Positions[i]);
                end = Positions[i] > end ? Positions[i] : end;
            }
        }
        var unreadable = Unreadable.Where(u => u.Position > after && u.Position <= upTo).ToList();
        foreach (var entry in unreadable)
        {
            end = entry.Position > end ? entry.Position : end;
        }
        return new LogPage<T>(entries, positions, end, unreadable, ReachedHead && end == End);
    }

    /// <summary>The page without the entries at <paramref name="left"/> (dead letters already handled); the end stays.</summary>
    public LogPage<T> Without(IReadOnlySet<LogPosition> left)
    {
        if (left.Count == 0 || (!Positions.Any(left.Contains) && !Unreadable.Any(u => left.Contains(u.Position))))
        {
            return this;
        }
        var kept = Enumerable.Range(0, Entries.Count).Where(i => !left.Contains(Positions[i])).ToList();
        return new LogPage<T>(
            kept.Select(i => Entries[i]).ToList(),
            kept.Select(i => Positions[i]).ToList(),
            End,
            Unreadable.Where(u => !left.Contains(u.Position)).ToList(),
            ReachedHead);
    }

    /// <summary>
    /// The page cut into pages of at most <paramref name="size"/> entries (readable or not), in
    /// order, for a host that is narrowing down which entry a consumer cannot apply.
    /// </summary>
    public IEnumerable<LogPage<T>> Chunk(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var all = Positions.Concat(Unreadable.Select(u => u.Position)).Order().ToList();
        // Every entry lies after the log's start, so the first chunk begins there.
        var after = LogPosition.Start;
        for (var i = 0; i < all.Count; i += size)
        {
            var upTo = all[Math.Min(i + size, all.Count) - 1];
            yield return Between(after, upTo);
            after = upTo;
        }
    }
}
