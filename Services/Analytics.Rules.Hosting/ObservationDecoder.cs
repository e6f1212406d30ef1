using System.Text;
using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Rules.Hosting;

/// <summary>
/// Reads stored observations for the rules. The contract's serializer reads any JSON, but for the
/// contract's immutable records it goes through its constructor-argument path: about 1.5 µs and
/// 1.3 KB of garbage per observation, the largest single cost of a rule service under load.
/// Ingest stores every payload through that serializer, so the two kinds rules read (track updates
/// and affect telemetry) come in one known shape; that shape is read here directly, and strings that
/// repeat (sites, cameras, classes, flags, zones) are reused instead of allocated again. Anything
/// else (another kind, an unknown, missing or differently spelled property, a null, an escaped name)
/// goes to the serializer, whose answer or error stands.
/// </summary>
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
    public Observation Decode(string type, ReadOnlySpan<byte> payload)
    {
        var fast = type switch
        {
            EventTypes.TrackUpdate => Read<TrackUpdateFields>(payload),
            EventTypes.AffectTelemetry => Read<AffectTelemetryFields>(payload),
            _ => null,
        };
        return fast ?? AnalyticsJson.Deserialize(payload, AnalyticsJsonContext.Default.Observation)
            ?? throw new JsonException("the payload is null");
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

    /// <summary>The whole payload as one observation in the known shape, or null.</summary>
    private Observation? Read<TFields>(ReadOnlySpan<byte> payload) where TFields : struct, IObservationFields
    {
        var reader = new Utf8JsonReader(payload);
        var fields = new TFields();
        return reader.Read() && TryReadObject(ref reader, ref fields) && !reader.Read() ? fields.Build() : null;
    }

    private bool TryReadObject<TFields>(ref Utf8JsonReader reader, ref TFields fields) where TFields : struct, IFields
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
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
            _ when name.SequenceEqual("type"u8) => _typeSeen = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual(type),
            _ when name.SequenceEqual("schemaVersion"u8) => TryInt32(ref reader, out SchemaVersion),
            _ when name.SequenceEqual("siteId"u8) => decoder.TryString(ref reader, out SiteId),
            _ when name.SequenceEqual("cameraId"u8) => decoder.TryString(ref reader, out CameraId),
            _ when name.SequenceEqual("occurredAt"u8) => TryDateTimeOffset(ref reader, out OccurredAt),
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
            _ when name.SequenceEqual("trackId"u8) => decoder.TryString(ref reader, out _trackId),
            _ when name.SequenceEqual("objectClass"u8) => decoder.TryString(ref reader, out _objectClass),
            _ when name.SequenceEqual("confidence"u8) => TryNumber(ref reader, out _confidence),
            _ when name.SequenceEqual("box"u8) => decoder.TryBox(ref reader, out _box),
            _ when name.SequenceEqual("attributes"u8) => decoder.TryStrings(ref reader, out _attributes),
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
            _ when name.SequenceEqual("zoneId"u8) => decoder.TryString(ref reader, out _zoneId),
            // Never kept in the string table: a subject key lives only as long as its window.
            _ when name.SequenceEqual("subjectKey"u8) => decoder.TryString(ref reader, out _subjectKey, intern: false),
            _ when name.SequenceEqual("engagement"u8) => TryNumber(ref reader, out _engagement),
            _ when name.SequenceEqual("valence"u8) => TryNumber(ref reader, out _valence),
            _ when name.SequenceEqual("arousal"u8) => TryNumber(ref reader, out _arousal),
            _ when name.SequenceEqual("confidence"u8) => TryNumber(ref reader, out _confidence),
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
            _ when name.SequenceEqual("x"u8) => TryNumber(ref reader, out X),
            _ when name.SequenceEqual("y"u8) => TryNumber(ref reader, out Y),
            _ when name.SequenceEqual("width"u8) => TryNumber(ref reader, out Width),
            _ when name.SequenceEqual("height"u8) => TryNumber(ref reader, out Height),
            _ => false,
        };
    }

    private bool TryBox(ref Utf8JsonReader reader, out BoundingBox? box)
    {
        var fields = new BoxFields();
        box = TryReadObject(ref reader, ref fields) && fields is { X: { } x, Y: { } y, Width: { } width, Height: { } height }
            ? new BoundingBox(x, y, width, height)
            : null;
        return box is not null;
    }

    private static bool TryNumber(ref Utf8JsonReader reader, out double? value)
    {
        value = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var number) ? number : null;
        return value is not null;
    }

    private static bool TryInt32(ref Utf8JsonReader reader, out int? value)
    {
        value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number) ? number : null;
        return value is not null;
    }

    private static bool TryDateTimeOffset(ref Utf8JsonReader reader, out DateTimeOffset? value)
    {
        value = reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var time) ? time : null;
        return value is not null;
    }

    private bool TryString(ref Utf8JsonReader reader, out string? value, bool intern = true)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            value = null;
            return false;
        }
        value = intern && !reader.ValueIsEscaped && reader.ValueSpan.Length <= MaxInternedLength ? Intern(reader.ValueSpan) : reader.GetString();
        return value is not null;
    }

    private bool TryStrings(ref Utf8JsonReader reader, out IReadOnlyList<string>? values)
    {
        values = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        List<string>? list = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!TryString(ref reader, out var value))
            {
                return false;
            }
            (list ??= []).Add(value!);
        }
        values = list is null ? [] : list.ToArray();
        return reader.TokenType == JsonTokenType.EndArray;
    }

    /// <summary>The string for these UTF-8 bytes, the same instance each time while the table has room.</summary>
    private string Intern(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[MaxInternedLength];
        var length = Encoding.UTF8.GetChars(utf8, chars);
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
