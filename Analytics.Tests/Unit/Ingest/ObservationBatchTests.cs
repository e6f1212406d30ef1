using System.Text;
using System.Text.Json;
using Analytics.Ingest.Observations;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Ingest;

/// <summary>
/// Ingest reads usual items with the fast decoder and stores them as sent; whatever it reads must
/// be exactly what the contract's serializer reads from the same body, and whatever it refuses must
/// be refused with the serializer's own words.
/// </summary>
public sealed class ObservationBatchTests
{
    private const string Track =
        """{"type":"track_update","schemaVersion":1,"siteId":"s-1","cameraId":"cam-1","occurredAt":"2026-11-25T03:00:00.5+00:00","trackId":"t-1","objectClass":"person","confidence":0.9,"box":{"x":0.1,"y":0.2,"width":0.1,"height":0.3},"attributes":["no_helmet"]}""";

    private const string Affect =
        """{"type":"affect_telemetry","schemaVersion":1,"siteId":"school","cameraId":"cam-2","occurredAt":"2026-11-25T03:00:00Z","zoneId":"room-1","subjectKey":"slot-3","engagement":0.4,"valence":-0.2,"arousal":0.5,"confidence":0.8}""";

    private const string Zone =
        """{"type":"zone_hit","schemaVersion":1,"siteId":"s-1","cameraId":"cam-1","occurredAt":"2026-11-25T03:00:00Z","zoneId":"exit","trackId":"t-1","objectClass":"person","transition":"enter"}""";

    public static TheoryData<string, bool[]> Readable() => new()
    {
        // Usual items are kept as sent; the zone hit is written again by the serializer.
        { $"[{Track},{Affect},{Zone}]", [true, true, false] },
        { $"[\n  {Track},\n  {Affect}\n]", [true, true] },
        { "[]", [] },
        // Indented inside the item: read the same, but stored compact.
        { "[" + Track.Replace(",", ",\n    ", StringComparison.Ordinal) + "]", [false] },
        // Type not first, an unknown member, a name given twice, a differently spelled name, no attributes:
        // the serializer's reading stands, and what is stored is what it writes.
        { "[" + Track.Replace("""{"type":"track_update","schemaVersion":1,""", """{"schemaVersion":1,"type":"track_update",""", StringComparison.Ordinal) + "]", [false] },
        { "[" + Track.Replace("\"attributes\"", "\"vendor\":{\"a\":[1]},\"attributes\"", StringComparison.Ordinal) + "]", [false] },
        { "[" + Track.Replace("\"siteId\":\"s-1\"", "\"siteId\":\"s-1\",\"siteId\":\"s-2\"", StringComparison.Ordinal) + "]", [false] },
        { "[" + Track.Replace("\"objectClass\"", "\"ObjectClass\"", StringComparison.Ordinal) + "]", [false] },
        { "[" + Track.Replace(",\"attributes\":[\"no_helmet\"]", "", StringComparison.Ordinal) + "]", [true] },
        { "[" + Track.Replace("\"t-1\"", "\"t-\\u00e9\"", StringComparison.Ordinal) + "]", [true] },
        // Another offset is read as the UTC instant it names, and stored as the serializer writes it, in UTC.
        { "[" + Track.Replace("2026-11-25T03:00:00.5+00:00", "2026-11-25T05:00:00.5+02:00", StringComparison.Ordinal) + "]", [false] },
        { "[" + Track.Replace("2026-11-25T03:00:00.5+00:00", "2026-11-25t03:00:00.5z", StringComparison.Ordinal) + "]", [true] },
    };

    [Theory]
    [MemberData(nameof(Readable))]
    public void Reads_a_body_as_the_serializer_does_and_keeps_usual_items_as_sent(string json, bool[] keptAsSent)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var expected = AnalyticsJson.Deserialize(body, AnalyticsJsonContext.Default.ObservationArray)!;

        var batch = ObservationBatch.ReadArray(body);

        Assert.Empty(batch.Problems);
        Assert.Equal(expected.Select(Serialized), batch.Observations.Select(Serialized));
        Assert.Equal(keptAsSent, batch.Verbatim.Select(range => !range.Equals(default(Range))));
        foreach (var range in batch.Verbatim.Where(range => !range.Equals(default(Range))))
        {
            // A kept item is one whole item of the body, which the serializer reads on its own.
            var item = body.AsSpan()[range];
            var read = AnalyticsJson.Deserialize(item, AnalyticsJsonContext.Default.Observation)!;
            Assert.Contains(Serialized(read), expected.Select(Serialized));
            // ... and the rule services read the stored bytes as the serializer does.
            Assert.Equal(Serialized(read), Serialized(new ObservationDecoder().Decode(item)));
        }
    }

    public static TheoryData<byte[]> Refused() => new()
    {
        Encoding.UTF8.GetBytes($"[{Track}] trailing"),
        Encoding.UTF8.GetBytes($"[{Track},{Track[..60]}"),
        Encoding.UTF8.GetBytes("[" + Track.Replace("0.9", "NaN", StringComparison.Ordinal) + "]"),
        Encoding.UTF8.GetBytes("[" + Track.Replace("0.9", "\"0.9\"", StringComparison.Ordinal) + "]"),
        Encoding.UTF8.GetBytes($"[{Track},{Zone.Replace("\"enter\"", "\"sideways\"", StringComparison.Ordinal)}]"),
        Encoding.UTF8.GetBytes("{}"),
        // A timestamp that is not RFC 3339: a date alone, a time without an offset.
        Encoding.UTF8.GetBytes($"[{Affect},{Track.Replace("2026-11-25T03:00:00.5+00:00", "2026-11-25", StringComparison.Ordinal)}]"),
        Encoding.UTF8.GetBytes($"[{Track.Replace("2026-11-25T03:00:00.5+00:00", "2026-11-25T03:00:00.5", StringComparison.Ordinal)}]"),
        // A track id, a site id and a subject key that are not UTF-8.
        NotUtf8(Track.Replace("t-1", "t-\u0001", StringComparison.Ordinal)),
        NotUtf8(Track.Replace("s-1", "s-\u0001", StringComparison.Ordinal)),
        NotUtf8(Affect.Replace("slot-3", "slot-\u0001", StringComparison.Ordinal)),
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_a_body_with_the_serializers_own_words(byte[] body)
    {
        var serializer = Assert.ThrowsAny<JsonException>(() => AnalyticsJson.Deserialize(body, AnalyticsJsonContext.Default.ObservationArray));

        var batch = ObservationBatch.ReadArray(body);

        var problem = Assert.Single(batch.Problems);
        Assert.Equal(serializer.Path ?? "$", problem.Path);
        Assert.StartsWith(serializer.Message.Split(". Path:")[0], problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-11-25")]
    [InlineData("2026-11-25T03:00:00")]
    [InlineData("2026-11-25 03:00:00Z")]
    public void Refuses_a_timestamp_that_is_not_rfc_3339_at_its_path_in_json_and_ndjson(string occurredAt)
    {
        var bad = Zone.Replace("2026-11-25T03:00:00Z", occurredAt, StringComparison.Ordinal);

        var array = Assert.Single(ObservationBatch.ReadArray(Encoding.UTF8.GetBytes($"[{Track},{bad}]")).Problems);
        var ndjson = Assert.Single(ObservationBatch.ReadNdjson(Encoding.UTF8.GetBytes($"{Track}\n{bad}")).Problems);

        Assert.Equal((1, "$[1].occurredAt"), (array.Index, array.Path));
        Assert.Equal((1, "$[1].occurredAt"), (ndjson.Index, ndjson.Path));
        Assert.StartsWith(Rfc3339.Requirement, array.Reason, StringComparison.Ordinal);
        Assert.StartsWith(Rfc3339.Requirement, ndjson.Reason, StringComparison.Ordinal);
        Assert.Contains(occurredAt, array.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_null_item_by_its_index()
    {
        var batch = ObservationBatch.ReadArray(Encoding.UTF8.GetBytes($"[{Track},null]"));

        var problem = Assert.Single(batch.Problems);
        Assert.Equal((1, "$[1]"), (problem.Index, problem.Path));
    }

    [Fact]
    public void Reads_ndjson_lines_as_the_serializer_reads_each_line()
    {
        var body = Encoding.UTF8.GetBytes($"{Track}\r\n\n{Zone}\r\n{Affect}");

        var batch = ObservationBatch.ReadNdjson(body);

        Assert.Empty(batch.Problems);
        string[] lines = [Track, Zone, Affect];
        Assert.Equal(
            lines.Select(line => Serialized(AnalyticsJson.Deserialize(line, AnalyticsJsonContext.Default.Observation)!)),
            batch.Observations.Select(Serialized));
        // The line's carriage return is not part of the item: that line is written again.
        Assert.Equal(default, batch.Verbatim[0]);
        Assert.Equal(default, batch.Verbatim[1]);
        Assert.Equal(Affect, Encoding.UTF8.GetString(body.AsSpan()[batch.Verbatim[2]]));
    }

    /// <summary>The body of one item whose U+0001 character is replaced by a byte that is not UTF-8.</summary>
    private static byte[] NotUtf8(string item)
    {
        var body = Encoding.UTF8.GetBytes("[" + item + "]");
        body[Array.IndexOf(body, (byte)1)] = 0xFF;
        return body;
    }

    private static string Serialized(Observation observation) => JsonSerializer.Serialize(observation, AnalyticsJsonContext.Default.Observation);

    [Fact]
    public void Refuses_a_broken_ndjson_line_by_its_index_and_reads_the_others()
    {
        var body = Encoding.UTF8.GetBytes($"{Track}\n{Track.Replace("0.9", "\"0.9\"", StringComparison.Ordinal)}\n{Affect}");

        var batch = ObservationBatch.ReadNdjson(body);

        var problem = Assert.Single(batch.Problems);
        Assert.Equal((1, "$[1].confidence"), (problem.Index, problem.Path));
        Assert.Equal(2, batch.Observations.Count);
    }
}
