using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using static Analytics.Tests.Schemas.ContractSamples;

namespace Analytics.Tests.Schemas;

public sealed class SiteAndCameraValidationTests
{
    [Fact]
    public void Valid_sites_and_cameras_have_no_problems()
    {
        Assert.Empty(ContractValidator.Validate(Site(), Now));
        Assert.Empty(ContractValidator.Validate(Site() with { Address = null, Description = null, TimeZone = "UTC" }, Now));
        Assert.Empty(ContractValidator.Validate(Camera(), Now));
        Assert.Empty(ContractValidator.Validate(Camera() with { Description = null, OfflineAfterSeconds = null }, Now));
    }

    [Theory]
    [InlineData("Mars/Olympus", "must be an IANA time zone id such as Europe/Berlin, was 'Mars/Olympus'")]
    [InlineData("W. Europe Standard Time", "must be an IANA time zone id such as Europe/Berlin, was 'W. Europe Standard Time'")]
    [InlineData(" ", "must not be empty or whitespace, was ' '")]
    public void A_site_time_zone_must_be_an_iana_id(string timeZone, string message)
    {
        Assert.Equal([new ValidationProblem("$.timeZone", message)], ContractValidator.Validate(Site() with { TimeZone = timeZone }, Now));
    }

    [Fact]
    public void Every_problem_of_a_site_is_reported_at_its_path()
    {
        var site = Site() with { SiteId = "", Name = new string('n', 129), Address = " ", Description = new string('d', 2001) };

        Assert.Equal(
            [
                new ValidationProblem("$.siteId", "must not be empty or whitespace, was ''"),
                new ValidationProblem("$.name", "must be at most 128 characters, was 129 characters"),
                new ValidationProblem("$.address", "must not be empty or whitespace when given (omit it instead), was ' '"),
                new ValidationProblem("$.description", "must be at most 2000 characters, was 2001 characters"),
            ],
            ContractValidator.Validate(site, Now));
    }

    [Theory]
    [InlineData(9)]
    [InlineData(86401)]
    [InlineData(-1)]
    public void A_camera_offline_threshold_outside_its_range_is_reported(int seconds)
    {
        Assert.Equal(
            [new ValidationProblem("$.offlineAfterSeconds", $"must be between 10 and 86400, was {seconds}")],
            ContractValidator.Validate(Camera() with { OfflineAfterSeconds = seconds }, Now));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(86400)]
    public void A_camera_offline_threshold_at_its_bounds_is_valid(int seconds)
    {
        Assert.Empty(ContractValidator.Validate(Camera() with { OfflineAfterSeconds = seconds }, Now));
    }

    [Fact]
    public void A_camera_without_its_site_or_name_is_reported()
    {
        var camera = Camera() with { SiteId = null!, Name = "\t", Description = "" };

        Assert.Equal(
            [
                new ValidationProblem("$.siteId", "is required"),
                new ValidationProblem("$.name", "must not be empty or whitespace, was '\t'"),
                new ValidationProblem("$.description", "must not be empty or whitespace when given (omit it instead), was ''"),
            ],
            ContractValidator.Validate(camera, Now));
    }

    [Fact]
    public void Sites_and_cameras_round_trip_and_omit_what_is_not_set()
    {
        var camera = Camera() with { Description = null, OfflineAfterSeconds = null };

        var json = JsonSerializer.Serialize(camera, AnalyticsJsonContext.Default.Camera);

        Assert.Equal("""{"orgId":"org-1","cameraId":"cam-entrance","siteId":"store-17","name":"Entrance"}""", json);
        Assert.Equal(camera, JsonSerializer.Deserialize(json, AnalyticsJsonContext.Default.Camera));
        Assert.Equal(Site(), JsonSerializer.Deserialize(JsonSerializer.Serialize(Site(), AnalyticsJsonContext.Default.Site), AnalyticsJsonContext.Default.Site));
    }

    [Fact]
    public void A_camera_with_a_fractional_offline_threshold_is_not_read()
    {
        const string Json = """{"orgId":"o","cameraId":"c","siteId":"s","name":"n","offlineAfterSeconds":30.5}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(Json, AnalyticsJsonContext.Default.Camera));
    }
}
