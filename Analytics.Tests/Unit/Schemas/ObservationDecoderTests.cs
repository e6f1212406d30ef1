using System.Text;
using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Schemas;

/// <summary>
/// The rules' decoder must read every payload exactly as the contract's serializer does: the same
/// observation where the serializer reads one, a <see cref="JsonException"/> where it refuses.
/// </summary>
public sealed class ObservationDecoderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Payloads() => new()
    {
        // As ingest stores them.
        Stored(Track(["no_helmet", "no_vest"])),
        Stored(Track([])),
        Stored(Affect()),
        Stored(new ZoneHit { SchemaVersion = 1, SiteId = "s", CameraId = "c", OccurredAt = T0, ZoneId = "z", TrackId = "t", ObjectClass = "person", Transition = ZoneTransition.Enter }),
        // Shapes ingest does not write, which the serializer still reads.
        """{"cameraId":"c-1","type":"track_update","occurredAt":"2026-11-25T03:00:00.123456+00:00","schemaVersion":2,"siteId":"s-1","trackId":"t-\u00e9","objectClass":"bag","confidence":1e-1,"box":{"height":0.3,"width":0.2,"y":0.1,"x":0}}""",
        """{"type":"track_update","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","trackId":"t","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1},"attributes":["fall\u0065n"],"vendor":{"x":1}}""",
        """{"Type":"track_update","SchemaVersion":1,"SiteId":"s","CameraId":"c","OccurredAt":"2026-11-25T03:00:00+00:00","TrackId":"t","ObjectClass":"person","Confidence":0.5,"Box":{"X":0.1,"Y":0.1,"Width":0.1,"Height":0.1}}""",
        """{"type":"track_update","schemaVersion":1,"siteId":"s","siteId":"s2","cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","trackId":"t","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1}}""",
        """{"type":"track_update","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","trackId":"t","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1},"attributes":null}""",
        """{"type":"affect_telemetry","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00Z","zoneId":"z","subjectKey":"k","engagement":0,"valence":-1,"arousal":1,"confidence":0.25}""",
        // Payloads the serializer refuses.
        """{"type":"track_update","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1}}""",
        """{"type":"track_update","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","trackId":"t","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1}}""",
        """{"type":"track_update","schemaVersion":1,"siteId":null,"cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","trackId":"t","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1}}""",
        """{"type":"track_update","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"yesterday","trackId":"t","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1}}""",
        """{"type":"track_update","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","trackId":"t","objectClass":"person","confidence":"0.5","box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1}}""",
        """{"schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","trackId":"t","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1}}""",
        """{"type":"track_update","schemaVersion":1.5,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00+00:00","trackId":"t","objectClass":"person","confidence":0.5,"box":{"x":0.1,"y":0.1,"width":0.1,"height":0.1}}""",
        """{"type":"track_update","schemaVersion":1,"siteId":"s" """,
        "null",
        """{"type":"affect_telemetry","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2026-11-25T03:00:00Z","zoneId":"z","engagement":0,"valence":-1,"arousal":1,"confidence":0.25}""",
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Reads_each_payload_as_the_serializer_does(string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        Observation? expected = null;
        try
        {
            expected = AnalyticsJson.Deserialize(payload, AnalyticsJsonContext.Default.Observation);
        }
        catch (JsonException)
        {
        }

        if (expected is null)
        {
            Assert.ThrowsAny<JsonException>(() => new ObservationDecoder().Decode(payload));
            return;
        }
        var decoded = new ObservationDecoder().Decode(payload);
        Assert.Equal(expected.GetType(), decoded.GetType());
        Assert.Equal(Stored(expected), Stored(decoded));
    }

    [Fact]
    public void Repeated_names_are_one_string_but_subject_keys_are_never_kept()
    {
        var decoder = new ObservationDecoder();
        var first = (TrackUpdate)decoder.Decode(Encoding.UTF8.GetBytes(Stored(Track(["no_helmet"]))));
        var second = (TrackUpdate)decoder.Decode(Encoding.UTF8.GetBytes(Stored(Track(["no_helmet"]))));
        Assert.Same(first.CameraId, second.CameraId);
        Assert.Same(first.Attributes[0], second.Attributes[0]);

        var affect = Encoding.UTF8.GetBytes(Stored(Affect()));
        var one = (AffectTelemetry)decoder.Decode(affect);
        var other = (AffectTelemetry)decoder.Decode(affect);
        Assert.Equal(one.SubjectKey, other.SubjectKey);
        Assert.NotSame(one.SubjectKey, other.SubjectKey);
        Assert.Same(one.ZoneId, other.ZoneId);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(200)]
    public void Refuses_a_string_that_is_not_utf8_as_the_serializer_does(int length)
    {
        // Short strings go through the decoder's string table, long ones through the JSON reader.
        var json = Stored(Track([])).Replace("\"t-42\"", "\"" + new string('t', length - 1) + "\u0001\"", StringComparison.Ordinal);
        var payload = Encoding.UTF8.GetBytes(json);
        payload[Array.IndexOf(payload, (byte)1)] = 0xFF;

        Assert.ThrowsAny<JsonException>(() => AnalyticsJson.Deserialize(payload, AnalyticsJsonContext.Default.Observation));
        Assert.ThrowsAny<JsonException>(() => new ObservationDecoder().Decode(payload));
    }

    private static TrackUpdate Track(string[] attributes) => new()
    {
        SchemaVersion = 1, SiteId = "site-1", CameraId = "cam-7", OccurredAt = T0.AddTicks(1234560), TrackId = "t-42", ObjectClass = "person",
        Confidence = 0.87, Box = new BoundingBox(0.125, 0.25, 0.1, 0.6), Attributes = attributes,
    };

    private static AffectTelemetry Affect() => new()
    {
        SchemaVersion = 1, SiteId = "school-1", CameraId = "cam-2", OccurredAt = T0, ZoneId = "room-1", SubjectKey = "slot-3",
        Engagement = 0.4, Valence = -0.2, Arousal = 0.5, Confidence = 0.8,
    };

    private static string Stored(Observation observation) => JsonSerializer.Serialize(observation, AnalyticsJsonContext.Default.Observation);
}
