using System.Text.Json;
using Analytics.Scenes;
using Analytics.Schemas;
using Analytics.Schemas.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Simulator;

/// <summary>
/// Registers what the scenes play on, directly in the database, when a connection string is
/// configured: the organization, its sites and cameras when missing, and the scenes' zones.
/// Otherwise all of them must already exist. The database, not the API, because only it can create
/// the organization; one transaction, so a failed start leaves nothing half registered.
/// </summary>
public sealed partial class LayoutWriter(IConfiguration configuration, ILogger<LayoutWriter> logger)
{
    /// <summary>Time zone of the sites registered here; an operator sets the real one with PUT /v1/sites/{siteId}.</summary>
    public const string SiteTimeZone = "UTC";

    public async Task WriteAsync(string orgId, IReadOnlyCollection<SceneScript> scenes, CancellationToken cancellationToken)
    {
        var zones = scenes.SelectMany(scene => scene.Zones).ToList();
        var connectionString = configuration.GetConnectionString(ResourceNames.Database);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            LogNoDatabase(logger, zones.Count);
            return;
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Command("INSERT INTO organizations (org_id, name) VALUES ($1, $1) ON CONFLICT (org_id) DO NOTHING", orgId));

        // Existing sites and cameras are kept as they are, so names and time zones an operator
        // gave them survive a restart of the simulator.
        foreach (var siteId in scenes.Select(scene => scene.SiteId).Distinct(StringComparer.Ordinal))
        {
            batch.BatchCommands.Add(Command(
                "INSERT INTO sites (org_id, site_id, name, time_zone) VALUES ($1, $2, $2, $3) ON CONFLICT (org_id, site_id) DO NOTHING",
                orgId, siteId, SiteTimeZone));
        }

        foreach (var (cameraId, siteId) in scenes.Select(scene => (scene.CameraId, scene.SiteId)).Distinct())
        {
            batch.BatchCommands.Add(Command(
                "INSERT INTO cameras (org_id, camera_id, site_id, name) VALUES ($1, $2, $3, $2) ON CONFLICT (org_id, camera_id) DO NOTHING",
                orgId, cameraId, siteId));
        }

        foreach (var zone in zones)
        {
            var command = Command(
                """
                INSERT INTO zones (org_id, zone_id, site_id, camera_id, document, updated_at)
                VALUES ($1, $2, $3, $4, $5, now())
                ON CONFLICT (org_id, zone_id) DO UPDATE
                    SET site_id = excluded.site_id, camera_id = excluded.camera_id, document = excluded.document, updated_at = now()
                """,
                zone.OrgId, zone.ZoneId, zone.SiteId, zone.CameraId);
            command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(zone, AnalyticsJsonContext.Default.Zone), NpgsqlDbType = NpgsqlDbType.Jsonb });
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogLayoutWritten(logger, zones.Count, orgId);
    }

    private static NpgsqlBatchCommand Command(string sql, params string[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No ConnectionStrings:analytics configured; the scenes' sites, cameras and {Count} zones are not created and must already exist")]
    private static partial void LogNoDatabase(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered the scenes' sites and cameras and created or updated {Count} zones of organization {OrgId}")]
    private static partial void LogLayoutWritten(ILogger logger, int count, string orgId);
}
