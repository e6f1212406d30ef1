using Analytics.Schemas.Contracts;
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
        await using (var maintain = dataSource.CreateCommand("SELECT analytics_maintain_observation_log(7, 7, 2)"))
        {
            await maintain.ExecuteNonQueryAsync();
        }

        var left = await platform.QueryAsync("SELECT id FROM observation_log WHERE org_id = $1", orgId, r => r.GetGuid(0));
        Assert.Equal(new[] { recentAffect, oldTrack }.Order().ToList(), left.Order().ToList());
        Assert.DoesNotContain(oldAffect, left);
    }

    private static async Task<Guid> InsertAsync(NpgsqlDataSource dataSource, string orgId, string type, TimeSpan age)
    {
        var id = Guid.NewGuid();
        await using var command = dataSource.CreateCommand("""
            INSERT INTO observation_log (recorded_at, id, org_id, type, schema_version, camera_id, occurred_at, payload)
            VALUES (now() - $1, $2, $3, $4, 1, 'camera-1', now() - $1, '\x7b7d')
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = age });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        await command.ExecuteNonQueryAsync();
        return id;
    }
}
