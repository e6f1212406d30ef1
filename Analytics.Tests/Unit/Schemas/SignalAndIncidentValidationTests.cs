using Analytics.Schemas.Contracts;
using static Analytics.Tests.Schemas.ContractSamples;

namespace Analytics.Tests.Schemas;

public sealed class SignalAndIncidentValidationTests
{
    [Fact]
    public void Valid_signal_and_incident_have_no_problems()
    {
        Assert.Empty(ContractValidator.Validate(Signal(), Now));
        Assert.Empty(ContractValidator.Validate(Signal() with { ZoneId = null, TrackIds = [], Evidence = Signal().Evidence with { Boxes = null } }, Now));
        Assert.Empty(ContractValidator.Validate(Incident(), Now));
        Assert.Empty(ContractValidator.Validate(Incident() with { Status = IncidentStatus.Resolved, AcknowledgedAt = Now.AddMinutes(-4), ResolvedAt = Now }, Now));
    }

    [Theory]
    [InlineData("id", "$.id")]
    [InlineData("orgId", "$.orgId")]
    [InlineData("kind", "$.kind")]
    [InlineData("siteId", "$.siteId")]
    [InlineData("cameraId", "$.cameraId")]
    [InlineData("zoneId", "$.zoneId")]
    [InlineData("trackIds", "$.trackIds[0]")]
    [InlineData("observationIds", "$.evidence.observationIds[0]")]
    public void Signal_blank_ids_are_reported(string field, string path)
    {
        var signal = field switch
        {
            "id" => Signal() with { Id = " " },
            "orgId" => Signal() with { OrgId = " " },
            "kind" => Signal() with { Kind = " " },
            "siteId" => Signal() with { SiteId = " " },
            "cameraId" => Signal() with { CameraId = " " },
            "zoneId" => Signal() with { ZoneId = " " },
            "trackIds" => Signal() with { TrackIds = [" ", "t-42"] },
            "observationIds" => Signal() with { Evidence = Signal().Evidence with { ObservationIds = [" "] } },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.Equal([new ValidationProblem(path, "must not be empty or whitespace, was ' '")], ContractValidator.Validate(signal, Now));
    }

    [Theory]
    [InlineData(1.0001, "must be between 0 and 1, was 1.0001")]
    [InlineData(double.NaN, "must be a finite number, was NaN")]
    public void Signal_confidence_outside_unit_interval_is_reported(double confidence, string message)
    {
        Assert.Equal([new ValidationProblem("$.confidence", message)], ContractValidator.Validate(Signal() with { Confidence = confidence }, Now));
    }

    [Fact]
    public void Signal_ending_before_it_started_is_reported()
    {
        var signal = Signal() with { StartedAt = Now.AddMinutes(-1), EndedAt = Now.AddMinutes(-2) };

        Assert.Equal(
            [new ValidationProblem("$.endedAt", "must not be before startedAt 2025-06-01T11:59:00.0000000+00:00, was 2025-06-01T11:58:00.0000000+00:00")],
            ContractValidator.Validate(signal, Now));
    }

    [Fact]
    public void Signal_with_non_finite_measurement_is_reported_at_the_measurement()
    {
        var signal = Signal() with
        {
            Evidence = new Evidence
            {
                Measurements = new Dictionary<string, double> { ["dwellSeconds"] = double.PositiveInfinity, ["people count"] = double.NaN, ["ok"] = 1 },
            },
        };

        Assert.Equal(
            [
                new ValidationProblem("$.evidence.measurements.dwellSeconds", "must be a finite number, was Infinity"),
                new ValidationProblem("$.evidence.measurements['people count']", "must be a finite number, was NaN"),
            ],
            ContractValidator.Validate(signal, Now));
    }

    [Fact]
    public void Signal_with_undefined_enums_and_unknown_version_reports_all()
    {
        var signal = Signal() with { Domain = (Domain)9, Severity = (Severity)42, SchemaVersion = 3, StartedAt = Now.AddHours(2), EndedAt = Now.AddHours(-2) };

        Assert.Equal(
            [
                new ValidationProblem("$.domain", "must be a defined Domain, was 9"),
                new ValidationProblem("$.severity", "must be a defined Severity, was 42"),
                new ValidationProblem("$.startedAt", "must not be more than 300 seconds in the future, was 2025-06-01T14:00:00.0000000+00:00 at 2025-06-01T12:00:00.0000000+00:00"),
                new ValidationProblem("$.schemaVersion", "must be a supported signal version (1), was 3"),
            ],
            ContractValidator.Validate(signal, Now));
    }

    [Fact]
    public void Resolved_incident_without_resolution_time_is_reported()
    {
        var incident = Incident() with { Status = IncidentStatus.Resolved, ResolvedAt = null };

        Assert.Equal([new ValidationProblem("$.resolvedAt", "is required when status is resolved")], ContractValidator.Validate(incident, Now));
    }

    [Fact]
    public void Acknowledged_incident_without_acknowledgement_time_is_reported()
    {
        var incident = Incident() with { Status = IncidentStatus.Acknowledged };

        Assert.Equal([new ValidationProblem("$.acknowledgedAt", "is required when status is acknowledged")], ContractValidator.Validate(incident, Now));
    }

    [Fact]
    public void Incident_without_signals_is_reported()
    {
        Assert.Equal(
            [new ValidationProblem("$.signalIds", "must contain at least one signal id unless the domain is platform, was empty")],
            ContractValidator.Validate(Incident() with { SignalIds = [] }, Now));
        // The platform's own incidents, e.g. a camera offline, rest on no signal.
        Assert.Empty(ContractValidator.Validate(Incident() with { Domain = Domain.Platform, SignalIds = [] }, Now));
        Assert.Equal(
            [new ValidationProblem("$.signalIds[1]", "must not be empty or whitespace, was ''")],
            ContractValidator.Validate(Incident() with { SignalIds = ["sig-1", ""] }, Now));
    }

    [Theory]
    [InlineData("id", "$.id")]
    [InlineData("orgId", "$.orgId")]
    [InlineData("kind", "$.kind")]
    [InlineData("siteId", "$.siteId")]
    [InlineData("cameraId", "$.cameraId")]
    [InlineData("zoneId", "$.zoneId")]
    public void Incident_blank_ids_are_reported(string field, string path)
    {
        var incident = field switch
        {
            "id" => Incident() with { Id = "" },
            "orgId" => Incident() with { OrgId = "" },
            "kind" => Incident() with { Kind = "" },
            "siteId" => Incident() with { SiteId = "" },
            "cameraId" => Incident() with { CameraId = "" },
            "zoneId" => Incident() with { ZoneId = "" },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.Equal([new ValidationProblem(path, "must not be empty or whitespace, was ''")], ContractValidator.Validate(incident, Now));
    }

    [Fact]
    public void Incident_times_before_opening_or_not_utc_are_all_reported()
    {
        var incident = Incident() with
        {
            UpdatedAt = Now.AddMinutes(-20),
            AcknowledgedAt = Now.AddMinutes(-30),
            ResolvedAt = new DateTimeOffset(2025, 6, 1, 14, 0, 0, TimeSpan.FromHours(2)),
            Status = IncidentStatus.Resolved,
            Severity = (Severity)(-1),
        };

        Assert.Equal(
            [
                new ValidationProblem("$.severity", "must be a defined Severity, was -1"),
                new ValidationProblem("$.updatedAt", "must not be before openedAt 2025-06-01T11:50:00.0000000+00:00, was 2025-06-01T11:40:00.0000000+00:00"),
                new ValidationProblem("$.acknowledgedAt", "must not be before openedAt 2025-06-01T11:50:00.0000000+00:00, was 2025-06-01T11:30:00.0000000+00:00"),
                new ValidationProblem("$.resolvedAt", "must be UTC (offset +00:00), was 2025-06-01T14:00:00.0000000+02:00"),
            ],
            ContractValidator.Validate(incident, Now));
    }

    [Fact]
    public void Incident_with_unset_opening_time_is_reported()
    {
        Assert.Equal(
            [new ValidationProblem("$.openedAt", "is required")],
            ContractValidator.Validate(Incident() with { OpenedAt = default }, Now));
    }
}
