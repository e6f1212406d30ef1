using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Schemas;

/// <summary>
/// Every timestamp on the wire is an RFC 3339 date-time with <c>Z</c> or an offset, read as UTC.
/// The same boundary values go to the contract's serializer, to the fast decoder ingest and the
/// rules use, and to the pattern the published schemas carry, so none of them can drift.
/// </summary>
public sealed class TimestampTests
{
    private static readonly DateTimeOffset TenUtc = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>The JSON value of <c>occurredAt</c> (a string literal with its quotes, or another token) and the instant it means.</summary>
    public static TheoryData<string, DateTimeOffset> Accepted() => new()
    {
        { "\"2026-11-24T10:00:00Z\"", TenUtc },
        { "\"2026-11-24T10:00:00+00:00\"", TenUtc },
        { "\"2026-11-24T10:00:00-00:00\"", TenUtc },
        { "\"2026-11-24T12:00:00+02:00\"", TenUtc },
        { "\"2026-11-24T05:30:00-04:30\"", TenUtc },
        { "\"2026-11-24T00:30:00+01:00\"", new DateTimeOffset(2026, 11, 23, 23, 30, 0, TimeSpan.Zero) },
        { "\"2026-11-24t10:00:00z\"", TenUtc },
        { "\"2026-11-24t12:00:00+02:00\"", TenUtc },
        { "\"2026-11-24T10:00:00.5Z\"", TenUtc.AddMilliseconds(500) },
        { "\"2026-11-24T10:00:00.1234567Z\"", TenUtc.AddTicks(1234567) },
        // Past 100 ns the digits are dropped, as System.Text.Json always did.
        { "\"2026-11-24T10:00:00.123456789Z\"", TenUtc.AddTicks(1234567) },
        { "\"2026-11-24T10:00:00.1234567890123456Z\"", TenUtc.AddTicks(1234567) },
        { "\"2024-02-29T23:59:59Z\"", new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.Zero) },
        { "\"9999-12-31T23:59:59.9999999Z\"", DateTimeOffset.MaxValue },
        { "\"0001-01-01T00:00:00Z\"", DateTimeOffset.MinValue },
        // An escape is still the same text.
        { "\"2026-11-24T10:00:00\\u005A\"", TenUtc },
    };

    public static TheoryData<string> Refused() => new()
    {
        "\"2026-11-24\"",
        "\"2026-11-24T10:00:00\"",
        "\"2026-11-24T10:00:00.5\"",
        "\"2026-11-24 10:00:00Z\"",
        "\"2026-11-24 10:00:00+00:00\"",
        "\"2026-11-24T10:00Z\"",
        "\"2026-11-24T10Z\"",
        "\"2026-13-24T10:00:00Z\"",
        "\"2026-00-24T10:00:00Z\"",
        "\"2026-11-00T10:00:00Z\"",
        "\"2026-11-31T10:00:00Z\"",
        "\"2026-02-29T10:00:00Z\"",
        "\"2026-11-24T24:00:00Z\"",
        "\"2026-11-24T10:60:00Z\"",
        // A leap second: RFC 3339 allows it, DateTimeOffset cannot hold it.
        "\"2026-12-31T23:59:60Z\"",
        "\"2026-11-24T10:00:00.Z\"",
        "\"2026-11-24T10:00:00,5Z\"",
        "\"2026-11-24T10:00:00.12345678901234567Z\"",
        "\"2026-11-24T10:00:00+0200\"",
        "\"2026-11-24T10:00:00+02\"",
        "\"2026-11-24T10:00:00+24:00\"",
        "\"2026-11-24T10:00:00+02:60\"",
        "\"2026-11-24T10:00:00UTC\"",
        "\"2026-11-24T10:00:00Z \"",
        "\" 2026-11-24T10:00:00Z\"",
        "\"20261124T100000Z\"",
        "\"26-11-24T10:00:00Z\"",
        "\"+2026-11-24T10:00:00Z\"",
        "\"0000-01-01T00:00:00Z\"",
        "\"0001-01-01T00:00:00+01:00\"",
        "\"9999-12-31T23:00:00-01:00\"",
        "\"2026-1１-24T10:00:00Z\"",
        "\"Tue, 24 Nov 2026 10:00:00 GMT\"",
        "\"\"",
        "1795514400",
        "true",
        "{}",
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void The_serializer_reads_an_rfc_3339_date_time_as_utc(string value, DateTimeOffset expected)
    {
        var track = (TrackUpdate)AnalyticsJson.Deserialize(Track(value), AnalyticsJsonContext.Default.Observation)!;

        Assert.Equal(expected, track.OccurredAt);
        Assert.Equal(TimeSpan.Zero, track.OccurredAt.Offset);
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public void The_decoder_reads_an_rfc_3339_date_time_as_the_serializer_does(string value, DateTimeOffset expected)
    {
        var decoded = (TrackUpdate)new ObservationDecoder().Decode(Track(value));

        Assert.Equal(expected, decoded.OccurredAt);
        Assert.Equal(TimeSpan.Zero, decoded.OccurredAt.Offset);
        // Its own fast path takes a time written in UTC; another offset (or an escape) it leaves to
        // the serializer, so ingest stores such an item as the serializer writes it, in UTC.
        var fast = new ObservationDecoder().TryReadWhole(Track(value));
        var writtenInUtc = !value.Contains('\\', StringComparison.Ordinal)
            && (value.EndsWith("Z\"", StringComparison.OrdinalIgnoreCase) || value.EndsWith("+00:00\"", StringComparison.Ordinal) || value.EndsWith("-00:00\"", StringComparison.Ordinal));
        Assert.Equal(writtenInUtc, fast is not null);
        if (fast is not null)
        {
            Assert.Equal(expected, fast.OccurredAt);
        }
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void The_serializer_refuses_anything_else_naming_the_member(string value)
    {
        var error = Assert.ThrowsAny<JsonException>(() => AnalyticsJson.Deserialize(Track(value), AnalyticsJsonContext.Default.Observation));

        Assert.Equal("$.occurredAt", error.Path);
        Assert.StartsWith(Rfc3339.Requirement, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void The_decoder_refuses_anything_else_as_the_serializer_does(string value)
    {
        Assert.Null(new ObservationDecoder().TryReadWhole(Track(value)));
        var error = Assert.ThrowsAny<JsonException>(() => new ObservationDecoder().Decode(Track(value)));
        Assert.Equal("$.occurredAt", error.Path);
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public void The_published_pattern_matches_every_accepted_form(string value, DateTimeOffset expected)
    {
        _ = expected;
        var text = JsonSerializer.Deserialize<string>(value)!;

        Assert.Matches(PublishedPattern(), text);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void What_the_published_pattern_admits_and_the_reader_refuses_is_only_a_calendar_question(string value)
    {
        if (!value.StartsWith('"') || !PublishedPattern().IsMatch(JsonSerializer.Deserialize<string>(value)!))
        {
            return;
        }
        // Shape right, date or time impossible (month 13, 31 November, a leap second, out of range):
        // "format": "date-time" says so in the schema, the pattern cannot.
        Assert.False(Rfc3339.TryParse(Encoding.UTF8.GetBytes(JsonSerializer.Deserialize<string>(value)!), out _));
    }

    [Fact]
    public void Every_timestamp_member_of_every_contract_is_read_strictly()
    {
        var context = AnalyticsJsonContext.Default;
        var silence = """{"silenceId":"sil-1","orgId":"org-1","zoneId":"dock","startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00","createdBy":"ops","createdAt":"2026-11-24T10:00:00Z"}""";
        var acknowledged = ContractSamples.Now.AddMinutes(-7);
        var incident = JsonSerializer.Serialize(ContractSamples.Incident() with { Status = IncidentStatus.Acknowledged, AcknowledgedAt = acknowledged }, context.Incident);

        var endsAt = Assert.ThrowsAny<JsonException>(() => AnalyticsJson.Deserialize(silence, context.Silence));
        Assert.Equal("$.endsAt", endsAt.Path);
        // A nullable member goes through the same converter.
        var acknowledgedAt = Assert.ThrowsAny<JsonException>(() => AnalyticsJson.Deserialize(
            incident.Replace(Written(acknowledged), "\"2025-06-01\"", StringComparison.Ordinal), context.Incident));
        Assert.Equal("$.acknowledgedAt", acknowledgedAt.Path);
        Assert.StartsWith(Rfc3339.Requirement, acknowledgedAt.Message, StringComparison.Ordinal);
        // Inside an event's payload too: the validator reads the payload as its contract.
        var analyticsEvent = ContractSamples.Event(EventTypes.TrackUpdate, Encoding.UTF8.GetString(Track("\"2025-06-01T11:59:00\"")));
        var problem = Assert.Single(ContractValidator.Validate(analyticsEvent, ContractSamples.Now));
        Assert.Equal("$.payload.occurredAt", problem.Path);
        Assert.Contains(Rfc3339.Requirement, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamps_are_written_as_before_and_always_in_utc()
    {
        var at = new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero).AddTicks(1234560);

        Assert.Equal("\"2026-11-24T10:00:00.123456+00:00\"", JsonSerializer.Serialize(at, AnalyticsJson.Options));
        Assert.Equal("\"2026-11-24T10:00:00+00:00\"", JsonSerializer.Serialize(TenUtc.ToOffset(TimeSpan.FromHours(2)), AnalyticsJson.Options));
        Assert.Equal("\"2026-11-24T10:00:00+00:00\"", JsonSerializer.Serialize<DateTimeOffset?>(TenUtc, AnalyticsJson.Options));
        Assert.Equal("null", JsonSerializer.Serialize<DateTimeOffset?>(null, AnalyticsJson.Options));
        // What the platform writes it reads back.
        Assert.Equal(at, JsonSerializer.Deserialize<DateTimeOffset>(JsonSerializer.Serialize(at, AnalyticsJson.Options), AnalyticsJson.Options));
    }

    [Fact]
    public void Parsing_allocates_nothing()
    {
        var text = "2026-11-24T12:00:00.1234567+02:00"u8.ToArray();
        Assert.True(Rfc3339.TryParse(text, out _));

        var read = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            read += Rfc3339.TryParse(text, out _) ? 1 : 0;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((1000, 0L), (read, allocated));
    }

    [Fact]
    public void An_offset_on_the_wire_passes_the_validator_as_the_utc_instant_it_names()
    {
        var track = (TrackUpdate)AnalyticsJson.Deserialize(Track("\"2026-11-24T12:00:00+02:00\""), AnalyticsJsonContext.Default.Observation)!;

        Assert.Empty(ContractValidator.Validate(track, TenUtc));
        Assert.Contains("\"occurredAt\":\"2026-11-24T10:00:00+00:00\"", JsonSerializer.Serialize<Observation>(track, AnalyticsJsonContext.Default.Observation), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_published_timestamp_says_so_and_carries_the_pattern()
    {
        var timestamps = ContractSchemas.Generate().Values
            .SelectMany(text => Descendants(JsonNode.Parse(text)!))
            .Where(node => node is JsonObject schema && (string?)schema["format"] == "date-time")
            .ToList();

        Assert.True(timestamps.Count >= 30, $"only {timestamps.Count} timestamps in the schemas");
        Assert.All(timestamps, node =>
        {
            Assert.Equal(Rfc3339.Pattern, (string?)node!["pattern"]);
            Assert.EndsWith(Rfc3339.Description, (string?)node["description"], StringComparison.Ordinal);
        });
        var occurredAt = JsonNode.Parse(ContractSchemas.Generate()["track-update.v1.schema.json"])!["properties"]!["occurredAt"]!;
        Assert.Equal("string", (string?)occurredAt["type"]);
        Assert.DoesNotContain("+00:00)", (string?)occurredAt["description"], StringComparison.Ordinal);
    }

    private static IEnumerable<JsonNode?> Descendants(JsonNode? node) => node switch
    {
        JsonObject o => o.Select(pair => pair.Value).SelectMany(Descendants).Prepend(node),
        JsonArray a => a.SelectMany(Descendants).Prepend(node),
        _ => [node],
    };

    private static Regex PublishedPattern() =>
        new((string)JsonNode.Parse(ContractSchemas.Generate()["track-update.v1.schema.json"])!["properties"]!["occurredAt"]!["pattern"]!, RegexOptions.ECMAScript);

    private static string Written(DateTimeOffset at) => JsonSerializer.Serialize(at, AnalyticsJson.Options);

    private static byte[] Track(string occurredAt) => Encoding.UTF8.GetBytes(
        $$$"""{"type":"track_update","schemaVersion":1,"siteId":"s-1","cameraId":"cam-1","occurredAt":{{{occurredAt}}},"trackId":"t-1","objectClass":"person","confidence":0.9,"box":{"x":0.1,"y":0.2,"width":0.1,"height":0.3}}""");
}
