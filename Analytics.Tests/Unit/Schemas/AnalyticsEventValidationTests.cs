using System.Text.Json;
using Analytics.Schemas.Contracts;
using static Analytics.Tests.Schemas.ContractSamples;

namespace Analytics.Tests.Schemas;

public sealed class AnalyticsEventValidationTests
{
    private const string TrackUpdatePayload = """
        {"type":"track_update","schemaVersion":1,"siteId":"store-17","cameraId":"cam-1","occurredAt":"2025-06-01T11:59:00Z",
         "trackId":"t-1","objectClass":"person","confidence":0.9,"box":{"x":0.1,"y":0.1,"width":0.2,"height":0.2}}
        """;

    [Fact]
    public void Valid_event_has_no_problems()
    {
        Assert.Empty(ContractValidator.Validate(Event(), Now));
        Assert.Empty(ContractValidator.Validate(Event() with { Trace = null }, Now));
        Assert.Empty(ContractValidator.Validate(Event(EventTypes.TrackUpdate, TrackUpdatePayload), Now));
    }

    [Fact]
    public void Every_envelope_problem_is_reported()
    {
        var analyticsEvent = Event() with
        {
            Id = Guid.Empty,
            Type = "track",
            OrgId = "",
            RecordedAt = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.FromHours(1)),
            Trace = new TraceContext("not-a-traceparent"),
        };

        Assert.Equal(
            [
                new ValidationProblem("$.id", "must not be the empty GUID"),
                new ValidationProblem("$.type", "must be one of track_update, zone_hit, affect_telemetry, camera_heartbeat, signal, incident, was 'track'"),
                new ValidationProblem("$.orgId", "must not be empty or whitespace, was ''"),
                new ValidationProblem("$.recordedAt", "must be UTC (offset +00:00), was 2025-06-01T12:00:00.0000000+01:00"),
                new ValidationProblem("$.trace.traceParent", "must be a W3C traceparent like 00-<32 hex>-<16 hex>-<2 hex> with non-zero ids, was 'not-a-traceparent'"),
            ],
            ContractValidator.Validate(analyticsEvent, Now));
    }

    [Fact]
    public void Unsupported_envelope_version_is_reported()
    {
        Assert.Contains(
            new ValidationProblem("$.schemaVersion", "must be a supported signal version (1), was 2"),
            ContractValidator.Validate(Event() with { SchemaVersion = 2 }, Now));
    }

    [Theory]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")]
    public void Invalid_traceparent_is_reported(string traceParent)
    {
        var problems = ContractValidator.Validate(new TraceContext(traceParent), Now);

        Assert.Equal("$.traceParent", Assert.Single(problems).Path);
    }

    [Fact]
    public void Later_traceparent_versions_may_append_fields()
    {
        Assert.Empty(ContractValidator.Validate(new TraceContext("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"), Now));
    }

    [Theory]
    [InlineData("null", "must be a JSON object, was Null")]
    [InlineData("[1,2]", "must be a JSON object, was Array")]
    [InlineData("\"text\"", "must be a JSON object, was String")]
    public void Payload_that_is_not_an_object_is_reported(string payload, string message)
    {
        Assert.Equal([new ValidationProblem("$.payload", message)], ContractValidator.Validate(Event(EventTypes.Signal, payload), Now));
    }

    [Fact]
    public void Missing_payload_is_reported()
    {
        Assert.Equal([new ValidationProblem("$.payload", "is required")], ContractValidator.Validate(Event() with { Payload = default }, Now));
    }

    [Fact]
    public void Payload_is_validated_as_the_contract_its_type_names()
    {
        var payload = TrackUpdatePayload.Replace("\"confidence\":0.9", "\"confidence\":1.5", StringComparison.Ordinal)
            .Replace("\"width\":0.2", "\"width\":0.95", StringComparison.Ordinal);

        Assert.Equal(
            [
                new ValidationProblem("$.payload.confidence", "must be between 0 and 1, was 1.5"),
                new ValidationProblem("$.payload.box.width", "must keep the box inside the image (x + width <= 1), was 0.95 at x 0.1"),
            ],
            ContractValidator.Validate(Event(EventTypes.TrackUpdate, payload), Now));
    }

    [Fact]
    public void Signal_payload_problems_are_reported_under_the_payload()
    {
        var analyticsEvent = Event(Signal() with { Confidence = -1, Kind = "" });

        Assert.Equal(
            [
                new ValidationProblem("$.payload.kind", "must not be empty or whitespace, was ''"),
                new ValidationProblem("$.payload.confidence", "must be between 0 and 1, was -1"),
            ],
            ContractValidator.Validate(analyticsEvent, Now));
    }

    [Fact]
    public void Payload_that_does_not_deserialize_is_reported_at_the_failing_member()
    {
        var payload = TrackUpdatePayload.Replace("\"confidence\":0.9", "\"confidence\":\"high\"", StringComparison.Ordinal);

        var problem = Assert.Single(ContractValidator.Validate(Event(EventTypes.TrackUpdate, payload), Now));

        Assert.Equal("$.payload.confidence", problem.Path);
        Assert.StartsWith("is not a valid track_update: ", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Payload_discriminator_that_contradicts_the_envelope_is_reported()
    {
        var payload = TrackUpdatePayload.Replace("\"type\":\"track_update\"", "\"type\":\"zone_hit\"", StringComparison.Ordinal);

        Assert.Equal(
            [new ValidationProblem("$.payload.type", "must match the envelope type 'track_update', was \"zone_hit\"")],
            ContractValidator.Validate(Event(EventTypes.TrackUpdate, payload), Now));
    }

    [Fact]
    public void Payload_version_that_contradicts_the_envelope_is_reported()
    {
        var analyticsEvent = Event(Signal() with { SchemaVersion = 1 }) with { SchemaVersion = 1 };
        var payload = analyticsEvent.Payload.GetRawText().Replace("\"schemaVersion\":1", "\"schemaVersion\":2", StringComparison.Ordinal);

        Assert.Equal(
            [
                new ValidationProblem("$.payload.schemaVersion", "must be a supported signal version (1), was 2"),
                new ValidationProblem("$.payload.schemaVersion", "must equal the envelope's schemaVersion 1, was 2"),
            ],
            ContractValidator.Validate(Event(EventTypes.Signal, payload), Now));
    }

    [Fact]
    public void Payload_of_unknown_type_is_not_inspected()
    {
        var problems = ContractValidator.Validate(Event("bogus", "{\"anything\":true}"), Now);

        Assert.Equal(["$.type"], problems.Select(problem => problem.Path));
    }

    [Fact]
    public void Payload_element_survives_the_validator_unchanged()
    {
        var analyticsEvent = Event();
        var before = analyticsEvent.Payload.GetRawText();

        ContractValidator.Validate(analyticsEvent, Now);

        Assert.Equal(JsonValueKind.Object, analyticsEvent.Payload.ValueKind);
        Assert.Equal(before, analyticsEvent.Payload.GetRawText());
    }
}
