using Analytics.Schemas.Contracts;
using static Analytics.Tests.Schemas.ContractSamples;

namespace Analytics.Tests.Schemas;

public sealed class ObservationValidationTests
{
    [Fact]
    public void Valid_observations_have_no_problems()
    {
        Assert.Empty(ContractValidator.Validate(TrackUpdate(), Now));
        Assert.Empty(ContractValidator.Validate(ZoneHit(), Now));
        Assert.Empty(ContractValidator.Validate(AffectTelemetry(), Now));
        Assert.Empty(ContractValidator.Validate<Observation>(TrackUpdate(), Now));
    }

    [Fact]
    public void Box_touching_the_edges_within_floating_point_error_is_valid()
    {
        var track = TrackUpdate() with { Box = new BoundingBox(0.7, 0, 0.3 + 1e-12, 1) };

        Assert.Empty(ContractValidator.Validate(track, Now));
    }

    [Theory]
    [InlineData(1.5, "must be between 0 and 1, was 1.5")]
    [InlineData(-0.01, "must be between 0 and 1, was -0.01")]
    [InlineData(double.NaN, "must be a finite number, was NaN")]
    [InlineData(double.PositiveInfinity, "must be a finite number, was Infinity")]
    public void Track_update_confidence_outside_unit_interval_is_reported(double confidence, string message)
    {
        var problems = ContractValidator.Validate(TrackUpdate() with { Confidence = confidence }, Now);

        Assert.Equal([new ValidationProblem("$.confidence", message)], problems);
    }

    [Theory]
    [InlineData(-0.1, 0.2, 0.3, 0.4, "$.box.x", "must be between 0 and 1, was -0.1")]
    [InlineData(0.1, 1.2, 0.3, 0.4, "$.box.y", "must be between 0 and 1, was 1.2")]
    [InlineData(0.1, 0.2, 0, 0.4, "$.box.width", "must be greater than 0, was 0")]
    [InlineData(0.1, 0.2, -0.3, 0.4, "$.box.width", "must be greater than 0, was -0.3")]
    [InlineData(0.1, 0.2, 0.3, 0, "$.box.height", "must be greater than 0, was 0")]
    [InlineData(0.5, 0.2, 0.6, 0.4, "$.box.width", "must keep the box inside the image (x + width <= 1), was 0.6 at x 0.5")]
    [InlineData(0.1, 0.7, 0.3, 0.4, "$.box.height", "must keep the box inside the image (y + height <= 1), was 0.4 at y 0.7")]
    [InlineData(double.NaN, 0.2, 0.3, 0.4, "$.box.x", "must be a finite number, was NaN")]
    [InlineData(0.1, 0.2, double.PositiveInfinity, 0.4, "$.box.width", "must be a finite number, was Infinity")]
    [InlineData(0.1, 0.2, 0.3, double.NegativeInfinity, "$.box.height", "must be a finite number, was -Infinity")]
    public void Box_outside_the_image_or_empty_is_reported(double x, double y, double width, double height, string path, string message)
    {
        var problems = ContractValidator.Validate(TrackUpdate() with { Box = new BoundingBox(x, y, width, height) }, Now);

        Assert.Equal([new ValidationProblem(path, message)], problems);
    }

    [Theory]
    [InlineData("siteId", "", "must not be empty or whitespace, was ''")]
    [InlineData("cameraId", "  ", "must not be empty or whitespace, was '  '")]
    [InlineData("trackId", "\t", "must not be empty or whitespace, was '\t'")]
    [InlineData("objectClass", "", "must not be empty or whitespace, was ''")]
    public void Track_update_blank_ids_are_reported(string field, string value, string message)
    {
        var track = field switch
        {
            "siteId" => TrackUpdate() with { SiteId = value },
            "cameraId" => TrackUpdate() with { CameraId = value },
            "trackId" => TrackUpdate() with { TrackId = value },
            "objectClass" => TrackUpdate() with { ObjectClass = value },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.Equal([new ValidationProblem("$." + field, message)], ContractValidator.Validate(track, Now));
    }

    [Fact]
    public void Ids_longer_than_128_characters_are_reported_with_their_length()
    {
        var track = TrackUpdate() with { TrackId = new string('t', 129) };

        Assert.Equal(
            [new ValidationProblem("$.trackId", "must be at most 128 characters, was 129 characters")],
            ContractValidator.Validate(track, Now));
        Assert.Empty(ContractValidator.Validate(TrackUpdate() with { TrackId = new string('t', 128) }, Now));
    }

    [Fact]
    public void Blank_attribute_is_reported_at_its_index()
    {
        var track = TrackUpdate() with { Attributes = ["no_helmet", "fallen", " "] };

        Assert.Equal(
            [new ValidationProblem("$.attributes[2]", "must not be empty or whitespace, was ' '")],
            ContractValidator.Validate(track, Now));
    }

    [Fact]
    public void Timestamp_with_an_offset_is_reported_as_not_utc()
    {
        var track = TrackUpdate() with { OccurredAt = new DateTimeOffset(2025, 6, 1, 13, 59, 59, TimeSpan.FromHours(2)) };

        Assert.Equal(
            [new ValidationProblem("$.occurredAt", "must be UTC (offset +00:00), was 2025-06-01T13:59:59.0000000+02:00")],
            ContractValidator.Validate(track, Now));
    }

    [Fact]
    public void Timestamp_more_than_five_minutes_ahead_is_reported()
    {
        var track = TrackUpdate() with { OccurredAt = Now.AddMinutes(6) };

        Assert.Equal(
            [new ValidationProblem("$.occurredAt", "must not be more than 300 seconds in the future, was 2025-06-01T12:06:00.0000000+00:00 at 2025-06-01T12:00:00.0000000+00:00")],
            ContractValidator.Validate(track, Now));
        Assert.Empty(ContractValidator.Validate(TrackUpdate() with { OccurredAt = Now.AddMinutes(5) }, Now));
    }

    [Fact]
    public void Future_tolerance_is_a_parameter()
    {
        var track = TrackUpdate() with { OccurredAt = Now.AddSeconds(30) };

        Assert.Empty(ContractValidator.Validate(track, Now));
        Assert.Equal(
            [new ValidationProblem("$.occurredAt", "must not be more than 10 seconds in the future, was 2025-06-01T12:00:30.0000000+00:00 at 2025-06-01T12:00:00.0000000+00:00")],
            ContractValidator.Validate(track, Now, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Time_provider_overload_uses_its_clock()
    {
        var track = TrackUpdate() with { OccurredAt = Now.AddMinutes(6) };

        Assert.Single(ContractValidator.Validate(track, new FixedClock(Now)));
        Assert.Empty(ContractValidator.Validate(track, new FixedClock(Now.AddMinutes(2))));
    }

    [Fact]
    public void Unknown_schema_version_is_reported()
    {
        Assert.Equal(
            [new ValidationProblem("$.schemaVersion", "must be a supported track_update version (1), was 2")],
            ContractValidator.Validate(TrackUpdate() with { SchemaVersion = 2 }, Now));
        Assert.Equal(
            [new ValidationProblem("$.schemaVersion", "must be a supported zone_hit version (1), was 0")],
            ContractValidator.Validate(ZoneHit() with { SchemaVersion = 0 }, Now));
    }

    [Fact]
    public void Every_problem_of_a_track_update_is_reported()
    {
        var track = TrackUpdate() with
        {
            SiteId = "",
            Confidence = double.NaN,
            Box = new BoundingBox(0.9, -0.5, 0.2, 0.1),
            Attributes = ["ok", ""],
            OccurredAt = Now.AddHours(1),
        };

        var problems = ContractValidator.Validate(track, Now);

        Assert.Equal(
            [
                new ValidationProblem("$.siteId", "must not be empty or whitespace, was ''"),
                new ValidationProblem("$.occurredAt", "must not be more than 300 seconds in the future, was 2025-06-01T13:00:00.0000000+00:00 at 2025-06-01T12:00:00.0000000+00:00"),
                new ValidationProblem("$.confidence", "must be a finite number, was NaN"),
                new ValidationProblem("$.box.y", "must be between 0 and 1, was -0.5"),
                new ValidationProblem("$.box.width", "must keep the box inside the image (x + width <= 1), was 0.2 at x 0.9"),
                new ValidationProblem("$.attributes[1]", "must not be empty or whitespace, was ''"),
            ],
            problems);
    }

    [Theory]
    [InlineData("zoneId", "")]
    [InlineData("trackId", " ")]
    [InlineData("objectClass", "")]
    public void Zone_hit_blank_ids_are_reported(string field, string value)
    {
        var hit = field switch
        {
            "zoneId" => ZoneHit() with { ZoneId = value },
            "trackId" => ZoneHit() with { TrackId = value },
            "objectClass" => ZoneHit() with { ObjectClass = value },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.Equal([new ValidationProblem("$." + field, $"must not be empty or whitespace, was '{value}'")], ContractValidator.Validate(hit, Now));
    }

    [Fact]
    public void Zone_hit_with_undefined_transition_is_reported()
    {
        var hit = ZoneHit() with { Transition = (ZoneTransition)7 };

        Assert.Equal([new ValidationProblem("$.transition", "must be a defined ZoneTransition, was 7")], ContractValidator.Validate(hit, Now));
    }

    [Theory]
    [InlineData("engagement", 1.01, "must be between 0 and 1, was 1.01")]
    [InlineData("engagement", -0.5, "must be between 0 and 1, was -0.5")]
    [InlineData("valence", -1.5, "must be between -1 and 1, was -1.5")]
    [InlineData("valence", 1.2, "must be between -1 and 1, was 1.2")]
    [InlineData("valence", double.NaN, "must be a finite number, was NaN")]
    [InlineData("arousal", 2, "must be between 0 and 1, was 2")]
    [InlineData("confidence", -1, "must be between 0 and 1, was -1")]
    [InlineData("confidence", double.NegativeInfinity, "must be a finite number, was -Infinity")]
    public void Affect_values_outside_their_range_are_reported(string field, double value, string message)
    {
        var affect = field switch
        {
            "engagement" => AffectTelemetry() with { Engagement = value },
            "valence" => AffectTelemetry() with { Valence = value },
            "arousal" => AffectTelemetry() with { Arousal = value },
            "confidence" => AffectTelemetry() with { Confidence = value },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.Equal([new ValidationProblem("$." + field, message)], ContractValidator.Validate(affect, Now));
    }

    [Fact]
    public void Affect_valence_bounds_are_inclusive()
    {
        Assert.Empty(ContractValidator.Validate(AffectTelemetry() with { Valence = -1, Engagement = 0, Arousal = 1 }, Now));
    }

    [Fact]
    public void Affect_blank_subject_key_and_zone_are_reported()
    {
        var affect = AffectTelemetry() with { ZoneId = "", SubjectKey = " " };

        Assert.Equal(
            [
                new ValidationProblem("$.zoneId", "must not be empty or whitespace, was ''"),
                new ValidationProblem("$.subjectKey", "must not be empty or whitespace, was ' '"),
            ],
            ContractValidator.Validate(affect, Now));
    }

    [Fact]
    public void Batch_problems_carry_the_item_index()
    {
        IReadOnlyList<Observation> batch = [TrackUpdate(), ZoneHit() with { ZoneId = "" }, AffectTelemetry() with { Valence = 3 }];

        Assert.Equal(
            [
                new ValidationProblem("$[1].zoneId", "must not be empty or whitespace, was ''"),
                new ValidationProblem("$[2].valence", "must be between -1 and 1, was 3"),
            ],
            ContractValidator.Validate(batch, Now));
    }

    [Fact]
    public void Validating_a_valid_batch_allocates_nothing_per_observation()
    {
        // Ingest validates every observation it takes: the checks are built once per contract
        // type, and a path is written out only for a problem.
        IReadOnlyList<Observation> small = [.. Enumerable.Range(0, 10).Select(_ => (Observation)TrackUpdate())];
        IReadOnlyList<Observation> large = [.. Enumerable.Range(0, 1000).Select(i => i % 2 == 0 ? (Observation)TrackUpdate() : AffectTelemetry())];
        Assert.Empty(ContractValidator.Validate(large, Now));

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Empty(ContractValidator.Validate(small, Now));
        var forSmall = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Empty(ContractValidator.Validate(large, Now));
        var forLarge = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(forLarge - forSmall < 1000, $"10 observations took {forSmall} bytes, 1000 took {forLarge}");
    }

    [Fact]
    public void Null_model_is_reported_at_the_root()
    {
        Assert.Equal([new ValidationProblem("$", "is required")], ContractValidator.Validate<TrackUpdate?>(null, Now));
    }

    [Fact]
    public void Non_contract_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ContractValidator.Validate("not a contract", Now));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
