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
/// The durable log: append a batch, subscribe from a checkpoint, commit a checkpoint. A
/// subscriber sees every committed entry exactly once, in log order, including entries whose
/// transactions committed after later ones.
/// </summary>
public interface IEventLog
{
    /// <summary>Appends the records in one transaction; returns once they are committed.</summary>
    Task AppendAsync(IReadOnlyList<LogRecord> records, CancellationToken cancellationToken);

    /// <summary>
    /// Pages of entries after <paramref name="after"/>, forever: the next page comes as soon as
    /// something is appended, without polling.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<LogEntry>> SubscribeAsync(LogPosition after, CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="SubscribeAsync(LogPosition, CancellationToken)"/>, for a reader that decodes
    /// only <paramref name="payloadTypes"/>: entries of other types still come, in order, but as
    /// their envelope alone (id, organization, type, version, camera, event time), without payload
    /// or trace context, which is most of what reading them costs.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<LogEntry>> SubscribeAsync(LogPosition after, IReadOnlySet<string> payloadTypes, CancellationToken cancellationToken);

    /// <summary>Where <paramref name="consumer"/> committed last, or <see cref="LogPosition.Start"/>.</summary>
    Task<LogPosition> LoadCheckpointAsync(string consumer, CancellationToken cancellationToken);
}
