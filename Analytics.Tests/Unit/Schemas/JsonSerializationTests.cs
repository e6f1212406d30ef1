using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using static Analytics.Tests.Schemas.ContractSamples;

namespace Analytics.Tests.Schemas;

public sealed class JsonSerializationTests
{
    private static readonly AnalyticsJsonContext _context = AnalyticsJsonContext.Default;

    [Fact]
    public void Observations_round_trip_through_the_base_type()
    {
        Observation[] observations = [TrackUpdate(), ZoneHit(), AffectTelemetry()];

        var json = JsonSerializer.Serialize(observations, _context.ObservationArray);
        var read = JsonSerializer.Deserialize(json, _context.ObservationArray);

        Assert.NotNull(read);
        Assert.Equivalent(observations, read, strict: true);
        Assert.Equal(json, JsonSerializer.Serialize(read, _context.ObservationArray));
    }

    [Fact]
    public void Observation_kinds_round_trip_on_their_own()
    {
        AssertRoundTrip(TrackUpdate(), _context.TrackUpdate);
        AssertRoundTrip(ZoneHit(), _context.ZoneHit);
        AssertRoundTrip(AffectTelemetry(), _context.AffectTelemetry);
    }

    [Fact]
    public void Signal_incident_and_event_round_trip()
    {
        AssertRoundTrip(Signal(), _context.Signal);
        AssertRoundTrip(Incident() with { Status = IncidentStatus.Resolved, ResolvedAt = Now, Silenced = true }, _context.Incident);
        AssertRoundTrip(new BoundingBox(0, 0.25, 0.5, 0.75), _context.BoundingBox);
        AssertRoundTrip(new TraceContext("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", null), _context.TraceContext);

        var analyticsEvent = Event();
        var json = JsonSerializer.Serialize(analyticsEvent, _context.AnalyticsEvent);
        var read = JsonSerializer.Deserialize(json, _context.AnalyticsEvent)!;
        Assert.Equal(analyticsEvent.Id, read.Id);
        Assert.Equal(analyticsEvent.Trace, read.Trace);
        Assert.Equal(analyticsEvent.RecordedAt, read.RecordedAt);
        Assert.Equal(analyticsEvent.OrgId, read.OrgId);
        Assert.Equal(analyticsEvent.Type, read.Type);
        Assert.Equivalent(Signal(), read.Payload.Deserialize(_context.Signal), strict: true);
    }

    [Fact]
    public void Validation_problems_serialize_as_a_camel_case_list()
    {
        IReadOnlyList<ValidationProblem> problems = [new("$.box.width", "must be greater than 0, was 0")];

        Assert.Equal(
            """[{"path":"$.box.width","message":"must be greater than 0, was 0"}]""",
            JsonSerializer.Serialize(problems, _context.IReadOnlyListValidationProblem));
    }

    [Fact]
    public void Signal_wire_is_camel_case_with_enum_names_and_no_nulls()
    {
        var json = JsonSerializer.Serialize(Signal() with { ZoneId = null }, AnalyticsJson.Options);

        Assert.Contains("\"domain\":\"antitheft\"", json, StringComparison.Ordinal);
        Assert.Contains("\"severity\":\"high\"", json, StringComparison.Ordinal);
        Assert.Contains("\"trackIds\":[\"t-42\"]", json, StringComparison.Ordinal);
        Assert.Contains("\"evidence\":{\"measurements\":{\"dwellSeconds\":125.5}", json, StringComparison.Ordinal);
        Assert.Contains("\"startedAt\":\"2025-06-01T11:57:00+00:00\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("zoneId", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Domain", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Incident_and_zone_hit_enums_are_lowercase_strings()
    {
        var incident = JsonSerializer.Serialize(Incident() with { Status = IncidentStatus.Acknowledged }, _context.Incident);
        var zoneHit = JsonSerializer.Serialize<Observation>(ZoneHit() with { Transition = ZoneTransition.Exit }, _context.Observation);

        Assert.Contains("\"status\":\"acknowledged\"", incident, StringComparison.Ordinal);
        Assert.Contains("\"severity\":\"critical\"", incident, StringComparison.Ordinal);
        Assert.Contains("\"domain\":\"safety\"", incident, StringComparison.Ordinal);
        Assert.StartsWith("{\"type\":\"zone_hit\",\"schemaVersion\":1,\"siteId\":", zoneHit, StringComparison.Ordinal);
        Assert.Contains("\"transition\":\"exit\"", zoneHit, StringComparison.Ordinal);
    }

    [Fact]
    public void Polymorphic_batch_deserializes_by_type_even_when_type_is_not_first()
    {
        const string json = """
            [
              {"schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2025-06-01T11:59:00Z","type":"zone_hit",
               "zoneId":"z","trackId":"t","objectClass":"person","transition":"enter"},
              {"type":"track_update","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2025-06-01T11:59:00Z",
               "trackId":"t","objectClass":"bag","confidence":0.5,"box":{"x":0,"y":0,"width":1,"height":1}},
              {"type":"affect_telemetry","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2025-06-01T11:59:00Z",
               "zoneId":"room","subjectKey":"slot-1","engagement":0.5,"valence":0,"arousal":0.5,"confidence":0.9}
            ]
            """;

        var observations = JsonSerializer.Deserialize(json, _context.IReadOnlyListObservation)!;

        Assert.Collection(
            observations,
            first => Assert.Equal(ZoneTransition.Enter, Assert.IsType<ZoneHit>(first).Transition),
            second =>
            {
                var track = Assert.IsType<TrackUpdate>(second);
                Assert.Equal(new BoundingBox(0, 0, 1, 1), track.Box);
                Assert.Empty(track.Attributes);
            },
            third => Assert.Equal("slot-1", Assert.IsType<AffectTelemetry>(third).SubjectKey));
    }

    [Theory]
    [InlineData("\"confidence\":\"NaN\"")]
    [InlineData("\"confidence\":\"0.5\"")]
    [InlineData("\"confidence\":\"Infinity\"")]
    public void Numbers_as_strings_are_rejected(string confidence)
    {
        var json = TrackJson(confidence);

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, _context.Observation));
    }

    [Theory]
    [InlineData("{\"type\":\"bogus\",\"schemaVersion\":1}")]
    [InlineData("{\"schemaVersion\":1,\"siteId\":\"s\"}")]
    public void Unknown_or_missing_type_is_rejected_as_json_error(string json)
    {
        Assert.Throws<JsonException>(() => AnalyticsJson.Deserialize(json, _context.Observation));
        Assert.Throws<JsonException>(() => AnalyticsJson.Deserialize("[" + json + "]", _context.ObservationArray));
        Assert.Throws<JsonException>(() => AnalyticsJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(json), _context.Observation));
    }

    [Fact]
    public void Unknown_type_is_rejected_by_the_plain_serializer_too()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"type\":\"bogus\",\"schemaVersion\":1}", _context.Observation));
    }

    [Theory]
    [InlineData("\"transition\":1")]
    [InlineData("\"transition\":\"Exit\"")]
    [InlineData("\"transition\":\"sideways\"")]
    public void Enums_accept_only_their_wire_names(string transition)
    {
        var json = $$"""{"type":"zone_hit","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2025-06-01T11:59:00Z","zoneId":"z","trackId":"t","objectClass":"person",{{transition}}}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, _context.Observation));
    }

    [Theory]
    [InlineData("\"siteId\":null")]
    [InlineData("\"attributes\":null")]
    public void Null_for_a_non_nullable_member_is_rejected(string member)
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(TrackJson(member), _context.Observation));
    }

    [Fact]
    public void Missing_required_member_is_rejected()
    {
        const string json = """{"type":"track_update","schemaVersion":1,"siteId":"s","cameraId":"c","occurredAt":"2025-06-01T11:59:00Z","trackId":"t","objectClass":"bag","box":{"x":0,"y":0,"width":1,"height":1}}""";

        var exception = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, _context.Observation));
        Assert.Contains("confidence", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Omitted_optional_lists_are_empty()
    {
        const string json = """{"measurements":{}}""";

        var evidence = JsonSerializer.Deserialize(json, _context.Evidence)!;

        Assert.Empty(evidence.ObservationIds);
        Assert.Null(evidence.Summary);
    }

    [Fact]
    public void Event_type_names_match_the_discriminators()
    {
        Assert.Equal(EventTypes.TrackUpdate, EventTypes.Of(TrackUpdate()));
        Assert.Equal(EventTypes.ZoneHit, EventTypes.Of(ZoneHit()));
        Assert.Equal(EventTypes.AffectTelemetry, EventTypes.Of(AffectTelemetry()));
        Assert.StartsWith("{\"type\":\"affect_telemetry\"", JsonSerializer.Serialize<Observation>(AffectTelemetry(), _context.Observation), StringComparison.Ordinal);
        Assert.True(EventTypes.IsSupported("signal", 1));
        Assert.False(EventTypes.IsSupported("signal", 2));
        Assert.False(EventTypes.IsSupported("unknown", 1));
        Assert.Equal(["track_update", "zone_hit", "affect_telemetry", "camera_heartbeat", "signal", "incident"], EventTypes.All);
        Assert.Equal(EventTypes.CameraHeartbeat, EventTypes.Of(new CameraHeartbeat { SchemaVersion = 1, SiteId = "s", CameraId = "c", OccurredAt = DateTimeOffset.UnixEpoch }));
    }

    private static string TrackJson(string member) =>
        "{\"type\":\"track_update\",\"schemaVersion\":1,\"siteId\":\"s\",\"cameraId\":\"c\",\"occurredAt\":\"2025-06-01T11:59:00Z\","
        + "\"trackId\":\"t\",\"objectClass\":\"bag\",\"confidence\":0.5,\"box\":{\"x\":0,\"y\":0,\"width\":1,\"height\":1},"
        + member + "}";

    private static void AssertRoundTrip<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        var json = JsonSerializer.Serialize(value, typeInfo);
        var read = JsonSerializer.Deserialize(json, typeInfo)!;

        Assert.Equivalent(value, read, strict: true);
        Assert.Equal(json, JsonSerializer.Serialize(read, typeInfo));
    }
}
