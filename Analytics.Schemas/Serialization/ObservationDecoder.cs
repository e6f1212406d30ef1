using System.Buffers;
using System.Text.Unicode;
using System.Text.Json;
using Analytics.Schemas.Contracts;

namespace Analytics.Schemas.Serialization;

/// <summary>
/// Reads observations in their usual shape fast: ingest reads edge batches with it, and the rules
/// read stored payloads with it. The contract's serializer reads any JSON, but for the contract's
/// immutable records it goes through its constructor-argument path: about 1.5 µs and 1.3 KB of
/// garbage per observation, the largest single cost of ingest and of a rule service under load.
/// Track updates and affect telemetry as the serializer writes them (and as edge trackers send
/// them) are read here directly, and strings that repeat (sites, cameras, classes, flags, zones) are
/// reused instead of allocated again. Timestamps are read with <see cref="Rfc3339"/>, as the
/// serializer reads them. Anything else (another kind, an unknown, repeated, missing or differently
/// spelled property, a null, an escaped name, a time with an offset other than UTC) is left to the
/// serializer, whose answer or error stands.
/// </summary>
/// <remarks>Not thread-safe: its string table is its own. Use one per reader thread.</remarks>
public sealed class ObservationDecoder
{
    private const int MaxInternedStrings = 4096;
    private const int MaxInternedLength = 128;

    private readonly HashSet<string> _strings;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _stringsByChars;

    public ObservationDecoder()
    {
        _strings = new HashSet<string>(StringComparer.Ordinal);
        _stringsByChars = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <exception cref="JsonException">The payload is not a readable observation.</exception>
    public Observation Decode(ReadOnlySpan<byte> payload) =>
        TryReadWhole(payload)
            ?? AnalyticsJson.Deserialize(payload, AnalyticsJsonContext.Default.Observation)
            ?? throw new JsonException("the payload is null");

    /// <summary>
    /// A whole JSON text (a stored payload, an NDJSON line) as one observation in the known shape,
    /// or null: read it again with the serializer.
    /// </summary>
    /// <exception cref="JsonException">The JSON itself is malformed.</exception>
    public Observation? TryReadWhole(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return reader.Read() && TryRead(ref reader) is { } observation && !reader.Read() ? observation : null;
    }

    /// <summary>The members of one JSON object, read one property at a time.</summary>
    private interface IFields
    {
        /// <summary>Reads the value of <paramref name="name"/>; false for a name or value not in the known shape.</summary>
        bool Read(ObservationDecoder decoder, ref Utf8JsonReader reader, ReadOnlySpan<byte> name);
    }

    private interface IObservationFields : IFields
    {
        /// <summary>The observation, or null when a required member is missing.</summary>
        Observation? Build();
    }

    /// <summary>
    /// The object at the reader's position (its start token) if it is an observation in the known
    /// shape with its <c>type</c> first, the reader then on the object's end token; otherwise null,
    /// with the reader somewhere inside the object: read it again with the serializer.
    /// </summary>
    /// <exception cref="JsonException">The JSON itself is malformed.</exception>
    public Observation? TryRead(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject || !reader.Read() || reader.TokenType != JsonTokenType.PropertyName
            || reader.ValueIsEscaped || !reader.ValueSpan.SequenceEqual("type"u8) || !reader.Read())
        {
            return null;
        }
        return reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped ? null
            : reader.ValueSpan.SequenceEqual("track_update"u8) ? ReadAfterType<TrackUpdateFields>(ref reader)
            : reader.ValueSpan.SequenceEqual("affect_telemetry"u8) ? ReadAfterType<AffectTelemetryFields>(ref reader)
            : null;
    }

    private Observation? ReadAfterType<TFields>(ref Utf8JsonReader reader) where TFields : struct, IObservationFields
    {
        var fields = new TFields();
        return fields.Read(this, ref reader, "type"u8) && TryReadProperties(ref reader, ref fields) ? fields.Build() : null;
    }

    private bool TryReadObject<TFields>(ref Utf8JsonReader reader, ref TFields fields) where TFields : struct, IFields =>
        reader.TokenType == JsonTokenType.StartObject && TryReadProperties(ref reader, ref fields);

    /// <summary>The properties up to the end of the object, the reader just past its start or a property's value.</summary>
    private bool TryReadProperties<TFields>(ref Utf8JsonReader reader, ref TFields fields) where TFields : struct, IFields
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // The name stays a slice of the payload while the reader moves on to its value.
            var name = reader.ValueSpan;
            if (reader.ValueIsEscaped || !reader.Read() || !fields.Read(this, ref reader, name))
            {
                return false;
            }
        }
        return reader.TokenType == JsonTokenType.EndObject;
    }

    /// <summary>The members every observation has, and its discriminator.</summary>
    private struct CommonFields
    {
        private bool _typeSeen;
        public int? SchemaVersion;
        public string? SiteId;
        public string? CameraId;
        public DateTimeOffset? OccurredAt;

        public readonly bool Complete => _typeSeen && SchemaVersion is not null && SiteId is not null && CameraId is not null && OccurredAt is not null;

        public bool Read(ObservationDecoder decoder, ref Utf8JsonReader reader, ReadOnlySpan<byte> name, ReadOnlySpan<byte> type) => name switch
        {
            _ when name.SequenceEqual("type"u8) => !_typeSeen && (_typeSeen = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual(type)),
            _ when name.SequenceEqual("schemaVersion"u8) => TryInt32(ref reader, ref SchemaVersion),
            _ when name.SequenceEqual("siteId"u8) => decoder.TryString(ref reader, ref SiteId),
            _ when name.SequenceEqual("cameraId"u8) => decoder.TryString(ref reader, ref CameraId),
            _ when name.SequenceEqual("occurredAt"u8) => TryDateTimeOffset(ref reader, ref OccurredAt),
            _ => false,
        };
    }

    private struct TrackUpdateFields : IObservationFields
    {
        private CommonFields _common;
        private string? _trackId, _objectClass;
        private double? _confidence;
        private BoundingBox? _box;
        private IReadOnlyList<string>? _attributes;

        public bool Read(ObservationDecoder decoder, ref Utf8JsonReader reader, ReadOnlySpan<byte> name) => name switch
        {
            _ when name.SequenceEqual("trackId"u8) => decoder.TryString(ref reader, ref _trackId),
            _ when name.SequenceEqual("objectClass"u8) => decoder.TryString(ref reader, ref _objectClass),
            _ when name.SequenceEqual("confidence"u8) => TryNumber(ref reader, ref _confidence),
            _ when name.SequenceEqual("box"u8) => decoder.TryBox(ref reader, ref _box),
            _ when name.SequenceEqual("attributes"u8) => decoder.TryStrings(ref reader, ref _attributes),
            _ => _common.Read(decoder, ref reader, name, "track_update"u8),
        };

        public readonly Observation? Build() =>
            _common.Complete && _trackId is not null && _objectClass is not null && _confidence is not null && _box is not null
                ? new TrackUpdate
                {
                    SchemaVersion = _common.SchemaVersion!.Value,
                    SiteId = _common.SiteId!,
                    CameraId = _common.CameraId!,
                    OccurredAt = _common.OccurredAt!.Value,
                    TrackId = _trackId,
                    ObjectClass = _objectClass,
                    Confidence = _confidence.Value,
                    Box = _box,
                    Attributes = _attributes ?? [],
                }
                : null;
    }

    private struct AffectTelemetryFields : IObservationFields
    {
        private CommonFields _common;
        private string? _zoneId, _subjectKey;
        private double? _engagement, _valence, _arousal, _confidence;

        public bool Read(ObservationDecoder decoder, ref Utf8JsonReader reader, ReadOnlySpan<byte> name) => name switch
        {
            _ when name.SequenceEqual("zoneId"u8) => decoder.TryString(ref reader, ref _zoneId),
            // Never kept in the string table: a subject key lives only as long as its window.
            _ when name.SequenceEqual("subjectKey"u8) => decoder.TryString(ref reader, ref _subjectKey, intern: false),
            _ when name.SequenceEqual("engagement"u8) => TryNumber(ref reader, ref _engagement),
            _ when name.SequenceEqual("valence"u8) => TryNumber(ref reader, ref _valence),
            _ when name.SequenceEqual("arousal"u8) => TryNumber(ref reader, ref _arousal),
            _ when name.SequenceEqual("confidence"u8) => TryNumber(ref reader, ref _confidence),
            _ => _common.Read(decoder, ref reader, name, "affect_telemetry"u8),
        };

        public readonly Observation? Build() =>
            _common.Complete && _zoneId is not null && _subjectKey is not null
                && _engagement is not null && _valence is not null && _arousal is not null && _confidence is not null
                ? new AffectTelemetry
                {
                    SchemaVersion = _common.SchemaVersion!.Value,
                    SiteId = _common.SiteId!,
                    CameraId = _common.CameraId!,
                    OccurredAt = _common.OccurredAt!.Value,
                    ZoneId = _zoneId,
                    SubjectKey = _subjectKey,
                    Engagement = _engagement.Value,
                    Valence = _valence.Value,
                    Arousal = _arousal.Value,
                    Confidence = _confidence.Value,
                }
                : null;
    }

    private struct BoxFields : IFields
    {
        public double? X, Y, Width, Height;

        public bool Read(ObservationDecoder decoder, ref Utf8JsonReader reader, ReadOnlySpan<byte> name) => name switch
        {
            _ when name.SequenceEqual("x"u8) => TryNumber(ref reader, ref X),
            _ when name.SequenceEqual("y"u8) => TryNumber(ref reader, ref Y),
            _ when name.SequenceEqual("width"u8) => TryNumber(ref reader, ref Width),
            _ when name.SequenceEqual("height"u8) => TryNumber(ref reader, ref Height),
            _ => false,
        };
    }

    // Each reader below fills a member that is still empty and refuses one already read: a name
    // given twice is left to the serializer, so the last-or-first question never arises here.

    private bool TryBox(ref Utf8JsonReader reader, ref BoundingBox? box)
    {
        var fields = new BoxFields();
        if (box is not null || !TryReadObject(ref reader, ref fields) || fields is not { X: { } x, Y: { } y, Width: { } width, Height: { } height })
        {
            return false;
        }
        box = new BoundingBox(x, y, width, height);
        return true;
    }

    private static bool TryNumber(ref Utf8JsonReader reader, ref double? value) =>
        value is null && reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var number) && Fill(ref value, number);

    private static bool TryInt32(ref Utf8JsonReader reader, ref int? value) =>
        value is null && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number) && Fill(ref value, number);

    // Only a time written in UTC is read here: ingest stores what this reads as sent, and a stored
    // copy should say the instant as the platform writes it. Another offset (or an escape) is the
    // serializer's to read and convert; the item is then written again.
    private static bool TryDateTimeOffset(ref Utf8JsonReader reader, ref DateTimeOffset? value) =>
        value is null && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
        && Rfc3339.TryParse(reader.ValueSpan, out var time, out var offset) && offset == TimeSpan.Zero && Fill(ref value, time);

    private bool TryString(ref Utf8JsonReader reader, ref string? value, bool intern = true)
    {
        if (value is not null || reader.TokenType != JsonTokenType.String)
        {
            return false;
        }
        if (intern && !reader.ValueIsEscaped && reader.ValueSpan.Length <= MaxInternedLength)
        {
            value = Intern(reader.ValueSpan);
            return value is not null;
        }
        try
        {
            value = reader.GetString();
            return value is not null;
        }
        catch (InvalidOperationException)
        {
            // Not UTF-8, or an escape that is not a character: the serializer's to refuse.
            return false;
        }
    }

    /// <summary>Sets <paramref name="member"/>; true, so a reader can end in it.</summary>
    private static bool Fill<T>(ref T? member, T value) where T : struct
    {
        member = value;
        return true;
    }

    private bool TryStrings(ref Utf8JsonReader reader, ref IReadOnlyList<string>? values)
    {
        if (values is not null || reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        List<string>? list = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            string? value = null;
            if (!TryString(ref reader, ref value))
            {
                return false;
            }
            (list ??= []).Add(value!);
        }
        values = list is null ? [] : list.ToArray();
        return reader.TokenType == JsonTokenType.EndArray;
    }

    /// <summary>
    /// The string for these UTF-8 bytes, the same instance each time while the table has room; null
    /// for bytes that are not UTF-8, which the serializer refuses rather than replaces.
    /// </summary>
    private string? Intern(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[MaxInternedLength];
        if (Utf8.ToUtf16(utf8, chars, out _, out var length, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            return null;
        }
        if (_stringsByChars.TryGetValue(chars[..length], out var known))
        {
            return known;
        }
        var value = new string(chars[..length]);
        if (_strings.Count >= MaxInternedStrings)
        {
            // Track ids come and go; starting over keeps the table small without bookkeeping.
            _strings.Clear();
        }
        _strings.Add(value);
        return value;
    }
}
