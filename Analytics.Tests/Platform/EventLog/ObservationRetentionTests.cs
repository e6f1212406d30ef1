using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Tests.Platform;
using Npgsql;

namespace Analytics.Tests.EventLog;

/// <summary>
/// Raw affect telemetry describes people in a classroom, so the log's maintenance deletes it
/// after its own short retention while track updates of the same age stay until their
/// partition expires.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class ObservationRetentionTests(PlatformFixture platform)
{
    [Fact]
    public async Task Affect_telemetry_past_its_retention_is_deleted_and_other_observations_of_the_same_age_are_kept()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        await using var dataSource = await platform.CreateDataSourceAsync();
        var oldAffect = await InsertAsync(dataSource, orgId, EventTypes.AffectTelemetry, TimeSpan.FromHours(3));
        var recentAffect = await InsertAsync(dataSource, orgId, EventTypes.AffectTelemetry, TimeSpan.FromMinutes(30));
        var oldTrack = await InsertAsync(dataSource, orgId, EventTypes.TrackUpdate, TimeSpan.FromHours(3));

        // Observations kept for 7 days, affect telemetry for 2 hours.
        await using (var maintain = dataSource.CreateCommand("SELECT analytics_maintain_observation_log(7, 7); SELECT analytics_delete_old_affect_telemetry(2)"))
        {
            await maintain.ExecuteNonQueryAsync();
        }

        var left = await platform.QueryAsync("SELECT id FROM observation_log WHERE org_id = $1", orgId, r => r.GetGuid(0));
        Assert.Equal(new[] { recentAffect, oldTrack }.Order().ToList(), left.Order().ToList());
        Assert.DoesNotContain(oldAffect, left);
    }

    // A well-formed observation, as ingest writes it: the rule services of the shared platform read
    // this log too, and a payload they cannot decode would stop them.
    private static async Task<Guid> InsertAsync(NpgsqlDataSource dataSource, string orgId, string type, TimeSpan age)
    {
        var id = Guid.NewGuid();
        var occurredAt = DateTimeOffset.UtcNow - age;
        Observation observation = type == EventTypes.AffectTelemetry
            ? new AffectTelemetry
            {
                SchemaVersion = 1, SiteId = "site-1", CameraId = "camera-1", OccurredAt = occurredAt,
                ZoneId = "room", SubjectKey = "subject-1", Engagement = 0.5, Valence = 0, Arousal = 0.5, Confidence = 0.9,
            }
            : new TrackUpdate
            {
                SchemaVersion = 1, SiteId = "site-1", CameraId = "camera-1", OccurredAt = occurredAt,
                TrackId = "t-1", ObjectClass = "person", Confidence = 0.9, Box = new BoundingBox(0.1, 0.1, 0.1, 0.1),
            };
        await using var command = dataSource.CreateCommand("""
            INSERT INTO observation_log (recorded_at, id, org_id, type, schema_version, camera_id, occurred_at, payload)
            VALUES ($1, $2, $3, $4, 1, 'camera-1', $1, $5)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = occurredAt });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.SerializeToUtf8Bytes(observation, AnalyticsJsonContext.Default.Observation) });
        await command.ExecuteNonQueryAsync();
        return id;
    }
}
