using System.Text.Json;
using System.Text.Json.Nodes;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Json.Schema;
using static Analytics.Tests.Schemas.ContractSamples;

namespace Analytics.Tests.Schemas;

/// <summary>
/// A signal's evidence may carry the boxes of its tracks: optional within version 1 of the
/// signal, so signals stored before read as they did, and held to the same rules as an
/// observation's box by the published schema and by the service.
/// </summary>
public sealed class EvidenceBoxesWireTests
{
    private static readonly AnalyticsJsonContext Json = AnalyticsJsonContext.Default;

    private static readonly Lazy<JsonSchema> SignalSchema = new(() =>
        JsonSchema.FromText(ContractSchemas.Generate()["signal.v1.schema.json"], new BuildOptions { SchemaRegistry = new SchemaRegistry() }));

    // A signal as version 1 wrote it before boxes existed.
    private const string SignalWithoutBoxes = """
        {"id":"sig-0001","orgId":"org-acme","domain":"antitheft","kind":"loitering","severity":"high","confidence":0.85,
         "siteId":"store-17","cameraId":"cam-entrance","zoneId":"zone-checkout","trackIds":["t-42"],
         "startedAt":"2025-06-01T11:57:00+00:00","endedAt":"2025-06-01T11:59:00+00:00",
         "evidence":{"measurements":{"dwellSeconds":125.5},"summary":"Person stayed 125 s near the checkout."},
         "schemaVersion":1}
        """;

    [Fact]
    public void Boxes_are_written_in_evidence_after_the_summary_and_read_back_the_same()
    {
        var signal = Signal();

        var json = JsonSerializer.Serialize(signal, Json.Signal);
        var read = JsonSerializer.Deserialize(json, Json.Signal)!;

        Assert.Contains(
            """
            "summary":"Person stayed 125 s near the checkout.","boxes":[{"trackId":"t-42","objectClass":"person","box":{"x":0.1,"y":0.2,"width":0.3,"height":0.4},"at":"2025-06-01T11:57:00+00:00"},{"trackId":"t-42","objectClass":"person","box":{"x":0.15,"y":0.25,"width":0.3,"height":0.4},"at":"2025-06-01T11:59:00+00:00"}]}
            """.Trim(),
            json,
            StringComparison.Ordinal);
        Assert.Equivalent(signal, read, strict: true);
        Assert.Equal(signal.Evidence.Boxes, read.Evidence.Boxes);
        Assert.Equal(json, JsonSerializer.Serialize(read, Json.Signal));
    }

    [Fact]
    public void A_box_without_an_object_class_leaves_it_out()
    {
        var box = new EvidenceBox { TrackId = "t-1", Box = new BoundingBox(0, 0, 1, 1), At = Now };

        var json = JsonSerializer.Serialize(box, Json.EvidenceBox);

        Assert.Equal("""{"trackId":"t-1","box":{"x":0,"y":0,"width":1,"height":1},"at":"2025-06-01T12:00:00+00:00"}""", json);
        Assert.Null(JsonSerializer.Deserialize(json, Json.EvidenceBox)!.ObjectClass);
    }

    [Fact]
    public void A_signal_stored_before_boxes_still_reads_validates_and_is_written_as_it_was()
    {
        var read = AnalyticsJson.Deserialize(SignalWithoutBoxes, Json.Signal)!;

        Assert.Null(read.Evidence.Boxes);
        Assert.Equal(125.5, read.Evidence.Measurements["dwellSeconds"]);
        Assert.Empty(ContractValidator.Validate(read, Now));
        Assert.True(SchemaAccepts(SignalWithoutBoxes));
        var written = JsonSerializer.Serialize(read, Json.Signal);
        Assert.DoesNotContain("boxes", written, StringComparison.Ordinal);
        Assert.Equal(written, JsonSerializer.Serialize(AnalyticsJson.Deserialize(written, Json.Signal), Json.Signal));
        // An explicit null is the same as none.
        var explicitNull = SignalWithoutBoxes.Replace("\"summary\":", "\"boxes\":null,\"summary\":", StringComparison.Ordinal);
        Assert.Null(AnalyticsJson.Deserialize(explicitNull, Json.Signal)!.Evidence.Boxes);
        Assert.True(SchemaAccepts(explicitNull));
    }

    [Fact]
    public void The_schema_accepts_a_signal_with_boxes_and_the_service_too()
    {
        var json = JsonSerializer.Serialize(Signal(), Json.Signal);

        Assert.True(SchemaAccepts(json));
        Assert.Empty(ContractValidator.Validate(AnalyticsJson.Deserialize(json, Json.Signal), Now));
    }

    [Theory]
    [InlineData("x", 1.2)]
    [InlineData("x", -0.1)]
    [InlineData("y", 1.5)]
    [InlineData("width", 0)]
    [InlineData("height", 1.01)]
    public void The_schema_and_the_service_refuse_a_box_outside_the_image(string edge, double value)
    {
        var document = JsonNode.Parse(JsonSerializer.Serialize(Signal(), Json.Signal))!;
        document["evidence"]!["boxes"]![1]!["box"]![edge] = value;
        var json = document.ToJsonString();

        Assert.False(SchemaAccepts(json));
        var problem = Assert.Single(ContractValidator.Validate(AnalyticsJson.Deserialize(json, Json.Signal), Now));
        Assert.Equal($"$.evidence.boxes[1].box.{edge}", problem.Path);
    }

    [Fact]
    public void A_box_reaching_past_the_right_or_bottom_edge_is_refused_by_the_boxes_rule()
    {
        var signal = Signal();
        var boxes = signal.Evidence.Boxes!;
        var outside = signal with
        {
            Evidence = signal.Evidence with
            {
                Boxes = [boxes[0] with { Box = new BoundingBox(0.8, 0.7, 0.3, 0.4) }, boxes[1]],
            },
        };

        Assert.Equal(
            [
                new ValidationProblem("$.evidence.boxes[0].box.width", "must keep the box inside the image (x + width <= 1), was 0.3 at x 0.8"),
                new ValidationProblem("$.evidence.boxes[0].box.height", "must keep the box inside the image (y + height <= 1), was 0.4 at y 0.7"),
            ],
            ContractValidator.Validate(outside, Now));
    }

    [Fact]
    public void More_than_sixteen_boxes_a_box_of_another_track_a_blank_track_or_a_future_time_are_refused()
    {
        var signal = Signal();
        var box = signal.Evidence.Boxes![0];
        var seventeen = signal with { Evidence = signal.Evidence with { Boxes = [.. Enumerable.Repeat(box, 17)] } };
        var stranger = signal with { Evidence = signal.Evidence with { Boxes = [box, box with { TrackId = "t-7" }] } };
        var blank = signal with { Evidence = signal.Evidence with { Boxes = [box with { ObjectClass = " " }] } };
        var future = signal with { Evidence = signal.Evidence with { Boxes = [box with { At = Now.AddHours(1) }] } };

        Assert.Equal([new ValidationProblem("$.evidence.boxes", "must have at most 16 items, had 17")], ContractValidator.Validate(seventeen, Now));
        Assert.False(SchemaAccepts(JsonSerializer.Serialize(seventeen, Json.Signal)));
        Assert.Equal([new ValidationProblem("$.trackIds", "must contain the track of every box in evidence.boxes, lacked 't-7'")], ContractValidator.Validate(stranger, Now));
        Assert.Equal([new ValidationProblem("$.evidence.boxes[0].objectClass", "must not be empty or whitespace, was ' '")], ContractValidator.Validate(blank, Now));
        Assert.False(SchemaAccepts(JsonSerializer.Serialize(blank, Json.Signal)));
        Assert.Equal("$.evidence.boxes[0].at", Assert.Single(ContractValidator.Validate(future, Now)).Path);
    }

    [Fact]
    public void The_published_schema_describes_boxes_as_optional_and_bounded()
    {
        var evidence = JsonNode.Parse(ContractSchemas.Generate()["signal.v1.schema.json"])!["properties"]!["evidence"]!;
        var boxes = evidence["properties"]!["boxes"]!;

        Assert.DoesNotContain("boxes", evidence["required"]!.AsArray().Select(node => (string?)node));
        Assert.Equal(16, (int)boxes["maxItems"]!);
        Assert.Equal(["trackId", "box", "at"], boxes["items"]!["required"]!.AsArray().Select(node => (string?)node));
        Assert.Equal(0, (double)boxes["items"]!["properties"]!["box"]!["properties"]!["width"]!["exclusiveMinimum"]!);
        Assert.Equal("date-time", (string?)boxes["items"]!["properties"]!["at"]!["format"]);
        Assert.Equal(1, EventTypes.CurrentVersion.Signal);
    }

    private static bool SchemaAccepts(string json)
    {
        using var document = JsonDocument.Parse(json);
        return SignalSchema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Flag, RequireFormatValidation = true }).IsValid;
    }
}
