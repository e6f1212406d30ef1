using Npgsql;

namespace Analytics.EventLog;

/// <summary>
/// A place in the log. Entries are ordered by the id of the transaction that wrote them, then by
/// their sequence within it; a consumer resumes strictly after the position it committed.
/// </summary>
public readonly record struct LogPosition(ulong TxId, long Seq) : IComparable<LogPosition>
{
    /// <summary>Before every entry.</summary>
    public static readonly LogPosition Start = new(0, 0);

    public int CompareTo(LogPosition other) =>
        TxId != other.TxId ? TxId.CompareTo(other.TxId) : Seq.CompareTo(other.Seq);

    public static bool operator <(LogPosition left, LogPosition right) => left.CompareTo(right) < 0;
    public static bool operator >(LogPosition left, LogPosition right) => left.CompareTo(right) > 0;
    public static bool operator <=(LogPosition left, LogPosition right) => left.CompareTo(right) <= 0;
    public static bool operator >=(LogPosition left, LogPosition right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{TxId}:{Seq}";
}

/// <summary>
/// One event to append: the <c>AnalyticsEvent</c> envelope's fields with the payload as the
/// contract's JSON bytes. The camera is the unit of ordering that a partitioned log will keep.
/// </summary>
public sealed record LogRecord(
    Guid Id,
    string OrgId,
    string Type,
    int SchemaVersion,
    string CameraId,
    DateTimeOffset OccurredAt,
    string? TraceParent,
    string? TraceState,
    ReadOnlyMemory<byte> Payload);

/// <summary>A committed record with its place in the log.</summary>
public sealed record LogEntry(LogPosition Position, LogRecord Record);

/// <summary>
/// Where a consumer stands in a log: the last entry whose effects it committed, and, for a
/// consumer whose in-memory state spans the checkpoint (a dwell in progress), where a restart must
/// re-read from and what it needs to know to do so (an opaque JSON document of its own).
/// </summary>
public sealed record Checkpoint(LogPosition Position, LogPosition ReplayFrom, string ReplayState)
{
    public const string NoReplayState = "{}";

    public static readonly Checkpoint Start = new(LogPosition.Start, LogPosition.Start, NoReplayState);
}

/// <summary>What a consumer stores beside its checkpoint so a restart can rebuild its in-memory state.</summary>
public sealed record ReplayPoint(LogPosition From, string State);

/// <summary>An entry of the log that could not be read into the consumer's type; it goes to the dead letters.</summary>
public sealed record UnreadableEntry(LogPosition Position, Exception Error);

/// <summary>An entry as kept in the dead letters: the organization it belongs to (null when it names none) and its content as JSON.</summary>
public sealed record EntryDescription(string? OrgId, string Json);

/// <summary>
/// A log that checkpointed consumers read: the observation log, the signal log or the incident
/// event log. Everything a consumer host does with a log is here, so a second backend (a stream
/// partitioned by camera on a distributed engine) plugs in without touching the consumers. The
/// checkpoint commits inside the caller's transaction, the one that writes what the consumer made
/// of the entries: both commit, or neither does.
/// </summary>
/// <typeparam name="T">An entry as the consumer reads it.</typeparam>
public interface IEventLog<T>
{
    /// <summary>
    /// Pages of entries after <paramref name="after"/>, in log order, forever: the next page comes
    /// as soon as something is appended, without polling. A subscriber sees every committed entry
    /// exactly once, including entries whose transactions committed after later ones. Each time
    /// the subscriber has caught up, an empty page says so before the wait for more.
    /// </summary>
    IAsyncEnumerable<LogPage<T>> SubscribeAsync(LogPosition after, CancellationToken cancellationToken);

    /// <summary>Where <paramref name="consumer"/> committed last, or <see cref="Checkpoint.Start"/>.</summary>
    Task<Checkpoint> LoadCheckpointAsync(string consumer, CancellationToken cancellationToken);

    /// <summary>Records how far <paramref name="consumer"/> got, inside the open transaction of <paramref name="connection"/>.</summary>
    Task CommitCheckpointAsync(NpgsqlConnection connection, string consumer, Checkpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>The entry at <paramref name="position"/> as it is stored, for the dead letters.</summary>
    Task<EntryDescription> DescribeAsync(NpgsqlConnection connection, LogPosition position, CancellationToken cancellationToken);
}
