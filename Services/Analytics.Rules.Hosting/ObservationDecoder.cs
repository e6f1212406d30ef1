using System.Text;
using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Rules.Hosting;

/// <summary>
/// Reads stored observations for the rules. The contract's serializer reads any JSON, but for the
/// contract's immutable records it goes through its constructor-argument path: about a microsecond
/// and 1.3 KB of garbage per observation, the largest single cost of a rule service under load.
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

    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);

    /// <exception cref="JsonException">The payload is not a readable observation.</exception>
    public Observation Decode(string type, ReadOnlySpan<byte> payload)
    {
        var fast = type switch
        {
            EventTypes.TrackUpdate => (Observation?)ReadTrackUpdate(payload),
            EventTypes.AffectTelemetry => ReadAffectTelemetry(payload),
            _ => null,
        };
        return fast ?? AnalyticsJson.Deserialize(payload, AnalyticsJsonContext.Default.Observation)
            ?? throw new JsonException("the payload is null");
    }

    private TrackUpdate? ReadTrackUpdate(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        var common = new Common();
        string? trackId = null, objectClass = null;
        double? confidence = null;
        BoundingBox? box = null;
        IReadOnlyList<string>? attributes = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped)
            {
                return null;
            }
            var name = reader.ValueSpan;
            if (!reader.Read())
            {
                return null;
            }
            var known = name switch
            {
                _ when name.SequenceEqual("trackId"u8) => TryString(ref reader, out trackId),
                _ when name.SequenceEqual("objectClass"u8) => TryString(ref reader, out objectClass),
                _ when name.SequenceEqual("confidence"u8) => TryNumber(ref reader, out confidence),
                _ when name.SequenceEqual("box"u8) => TryBox(ref reader, out box),
                _ when name.SequenceEqual("attributes"u8) => TryStrings(ref reader, out attributes),
                _ => TryCommon(ref reader, name, "track_update"u8, ref common),
            };
            if (!known)
            {
                return null;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || !common.Complete
            || trackId is null || objectClass is null || confidence is null || box is null)
        {
            return null;
        }
        return new TrackUpdate
        {
            SchemaVersion = common.SchemaVersion!.Value,
            SiteId = common.SiteId!,
            CameraId = common.CameraId!,
            OccurredAt = common.OccurredAt!.Value,
            TrackId = trackId,
            ObjectClass = objectClass,
            Confidence = confidence.Value,
            Box = box,
            Attributes = attributes ?? [],
        };
    }

    private AffectTelemetry? ReadAffectTelemetry(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        var common = new Common();
        string? zoneId = null, subjectKey = null;
        double? engagement = null, valence = null, arousal = null, confidence = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped)
            {
                return null;
            }
            var name = reader.ValueSpan;
            if (!reader.Read())
            {
                return null;
            }
            var known = name switch
            {
                _ when name.SequenceEqual("zoneId"u8) => TryString(ref reader, out zoneId),
                _ when name.SequenceEqual("subjectKey"u8) => TryString(ref reader, out subjectKey, intern: false),
                _ when name.SequenceEqual("engagement"u8) => TryNumber(ref reader, out engagement),
                _ when name.SequenceEqual("valence"u8) => TryNumber(ref reader, out valence),
                _ when name.SequenceEqual("arousal"u8) => TryNumber(ref reader, out arousal),
                _ when name.SequenceEqual("confidence"u8) => TryNumber(ref reader, out confidence),
                _ => TryCommon(ref reader, name, "affect_telemetry"u8, ref common),
            };
            if (!known)
            {
                return null;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || !common.Complete
            || zoneId is null || subjectKey is null || engagement is null || valence is null || arousal is null || confidence is null)
        {
            return null;
        }
        return new AffectTelemetry
        {
            SchemaVersion = common.SchemaVersion!.Value,
            SiteId = common.SiteId!,
            CameraId = common.CameraId!,
            OccurredAt = common.OccurredAt!.Value,
            ZoneId = zoneId,
            SubjectKey = subjectKey,
            Engagement = engagement.Value,
            Valence = valence.Value,
            Arousal = arousal.Value,
            Confidence = confidence.Value,
        };
    }

    /// <summary>The members every observation has, and its discriminator.</summary>
    private struct Common
    {
        public bool TypeSeen;
        public int? SchemaVersion;
        public string? SiteId;
        public string? CameraId;
        public DateTimeOffset? OccurredAt;

        public readonly bool Complete => TypeSeen && SchemaVersion is not null && SiteId is not null && CameraId is not null && OccurredAt is not null;
    }

    private bool TryCommon(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, ReadOnlySpan<byte> type, ref Common common)
    {
        if (name.SequenceEqual("type"u8))
        {
            common.TypeSeen = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual(type);
            return common.TypeSeen;
        }
        if (name.SequenceEqual("schemaVersion"u8))
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var version))
            {
                return false;
            }
            common.SchemaVersion = version;
            return true;
        }
        if (name.SequenceEqual("siteId"u8))
        {
            return TryString(ref reader, out common.SiteId);
        }
        if (name.SequenceEqual("cameraId"u8))
        {
            return TryString(ref reader, out common.CameraId);
        }
        if (name.SequenceEqual("occurredAt"u8))
        {
            if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var occurredAt))
            {
                return false;
            }
            common.OccurredAt = occurredAt;
            return true;
        }
        return false;
    }

    private static bool TryNumber(ref Utf8JsonReader reader, out double? value)
    {
        value = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var number) ? number : null;
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

    private static bool TryBox(ref Utf8JsonReader reader, out BoundingBox? box)
    {
        box = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        double? x = null, y = null, width = null, height = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped)
            {
                return false;
            }
            var name = reader.ValueSpan;
            if (!reader.Read())
            {
                return false;
            }
            var known = name switch
            {
                _ when name.SequenceEqual("x"u8) => TryNumber(ref reader, out x),
                _ when name.SequenceEqual("y"u8) => TryNumber(ref reader, out y),
                _ when name.SequenceEqual("width"u8) => TryNumber(ref reader, out width),
                _ when name.SequenceEqual("height"u8) => TryNumber(ref reader, out height),
                _ => false,
            };
            if (!known)
            {
                return false;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || x is null || y is null || width is null || height is null)
        {
            return false;
        }
        box = new BoundingBox(x.Value, y.Value, width.Value, height.Value);
        return true;
    }

    /// <summary>The string for these UTF-8 bytes, the same instance each time while the table has room.</summary>
    private string Intern(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[MaxInternedLength];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        var lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars[..length], out var known))
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
