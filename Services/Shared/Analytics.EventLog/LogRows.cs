using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CommunityToolkit.HighPerformance.Buffers;

namespace Analytics.EventLog;

/// <summary>
/// Records for <c>observation_log</c>, already encoded as rows of Postgres' binary COPY format in
/// one pooled buffer. A producer builds them where the records are made (ingest: on each request's
/// own thread, in parallel), so the commit that writes many producers' rows together only copies
/// bytes, and a record waiting for its commit is one slice of a buffer rather than a graph of
/// objects for the garbage collector to move.
/// </summary>
public sealed class LogRows : IDisposable
{
    /// <summary>The columns of each row, in order; the COPY statement names the same.</summary>
    internal const string Columns = "id, org_id, type, schema_version, camera_id, occurred_at, trace_parent, trace_state, payload";

    /// <summary>The same columns with their types.</summary>
    internal const string ColumnDefinitions =
        "id uuid, org_id text, type text, schema_version int, camera_id text, occurred_at timestamptz, trace_parent text, trace_state text, payload bytea";

    private const short ColumnCount = 9;

    // Postgres counts timestamps in microseconds from 2000-01-01 UTC.
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private readonly ArrayPoolBufferWriter<byte> _buffer;
    private Utf8JsonWriter? _json;

    // About what a row adds to its payload: field count, lengths, id, names, time and trace.
    private const int EnvelopeBytes = 192;

    /// <param name="rows">How many rows will be added.</param>
    /// <param name="payloadBytes">
    /// Their payloads' size, roughly: sized once, the buffer is rented once instead of through
    /// every power of two on the way, each left behind in the pool.
    /// </param>
    public LogRows(int rows, int payloadBytes)
    {
        _buffer = new ArrayPoolBufferWriter<byte>(Math.Max(payloadBytes + rows * EnvelopeBytes, 256));
    }

    /// <summary>How many rows have been added.</summary>
    public int Count { get; private set; }

    /// <summary>The encoded rows, without the COPY header and trailer.</summary>
    internal ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    /// <summary>Adds a record whose payload is already encoded.</summary>
    public void Add(LogRecord record) =>
        Add(record.Id, record.OrgId, record.Type, record.SchemaVersion, record.CameraId, record.OccurredAt, record.TraceParent, record.TraceState, record.Payload.Span);

    /// <summary>Adds a record whose payload is already encoded, as <paramref name="payload"/>.</summary>
    public void Add(
        Guid id, string orgId, string type, int schemaVersion, string cameraId, DateTimeOffset occurredAt,
        string? traceParent, string? traceState, ReadOnlySpan<byte> payload)
    {
        WriteEnvelope(id, orgId, type, schemaVersion, cameraId, occurredAt, traceParent, traceState);
        WriteInt32(payload.Length);
        _buffer.Write(payload);
        Count++;
    }

    /// <summary>
    /// Adds a record whose payload is <paramref name="payload"/> as JSON, written straight into the
    /// row: no intermediate array per record.
    /// </summary>
    public void Add<T>(
        Guid id, string orgId, string type, int schemaVersion, string cameraId, DateTimeOffset occurredAt,
        string? traceParent, string? traceState, T payload, JsonTypeInfo<T> typeInfo)
    {
        WriteEnvelope(id, orgId, type, schemaVersion, cameraId, occurredAt, traceParent, traceState);
        var lengthAt = _buffer.WrittenCount;
        WriteInt32(0);
        if (_json is null)
        {
            _json = new Utf8JsonWriter(_buffer);
        }
        else
        {
            _json.Reset(_buffer);
        }
        JsonSerializer.Serialize(_json, payload, typeInfo);
        _json.Flush();
        var length = _buffer.WrittenCount - lengthAt - sizeof(int);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.DangerousGetArray().AsSpan(lengthAt), length);
        Count++;
    }

    /// <summary>
    /// <paramref name="ids"/> filled with fresh version 7 UUIDs (time-ordered, RFC 9562) from one
    /// draw of randomness, rather than one system call each as <see cref="Guid.CreateVersion7()"/> makes.
    /// </summary>
    public static void CreateIds(Span<Guid> ids, DateTimeOffset now)
    {
        var milliseconds = now.ToUnixTimeMilliseconds();
        Span<byte> random = stackalloc byte[16 * 64];
        for (var i = 0; i < ids.Length; i++)
        {
            if (i % 64 == 0)
            {
                RandomNumberGenerator.Fill(random);
            }
            var bytes = random.Slice(i % 64 * 16, 16);
            // 48 bits of Unix milliseconds, then version 7 and the RFC variant over random bits.
            BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16 | (long)(bytes[6] & 0x0F | 0x70) << 8 | bytes[7]);
            bytes[8] = (byte)(bytes[8] & 0x3F | 0x80);
            ids[i] = new Guid(bytes, bigEndian: true);
        }
    }

    public void Dispose()
    {
        _json?.Dispose();
        _buffer.Dispose();
    }

    /// <summary>The 19-byte header that opens a binary COPY stream: signature, flags, no extension.</summary>
    internal static ReadOnlyMemory<byte> CopyHeader { get; } =
        new byte[] { (byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    /// <summary>The field count -1 that closes a binary COPY stream.</summary>
    internal static ReadOnlyMemory<byte> CopyTrailer { get; } = new byte[] { 0xFF, 0xFF };

    private void WriteEnvelope(
        Guid id, string orgId, string type, int schemaVersion, string cameraId, DateTimeOffset occurredAt, string? traceParent, string? traceState)
    {
        var row = _buffer.GetSpan(2 + 4 + 16);
        BinaryPrimitives.WriteInt16BigEndian(row, ColumnCount);
        BinaryPrimitives.WriteInt32BigEndian(row[2..], 16);
        id.TryWriteBytes(row[6..], bigEndian: true, out _);
        _buffer.Advance(2 + 4 + 16);
        WriteText(orgId);
        WriteText(type);
        WriteInt32(sizeof(int));
        WriteInt32(schemaVersion);
        WriteText(cameraId);
        WriteInt32(sizeof(long));
        var microseconds = (occurredAt.UtcTicks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond;
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(sizeof(long)), microseconds);
        _buffer.Advance(sizeof(long));
        WriteText(traceParent);
        WriteText(traceState);
    }

    /// <summary>A text field: its UTF-8 length, then the bytes; -1 for null.</summary>
    private void WriteText(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        var span = _buffer.GetSpan(sizeof(int) + Encoding.UTF8.GetMaxByteCount(value.Length));
        var length = Encoding.UTF8.GetBytes(value, span[sizeof(int)..]);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        _buffer.Advance(sizeof(int) + length);
    }

    private void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(sizeof(int)), value);
        _buffer.Advance(sizeof(int));
    }
}
