using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Simulator;

/// <summary>
/// Creates the scenes' zones (and their organization, if missing) directly in the database when
/// a connection string is configured; otherwise the zones must already exist.
/// </summary>
public sealed partial class ZoneWriter(IConfiguration configuration, ILogger<ZoneWriter> logger)
{
    public async Task WriteAsync(string orgId, IReadOnlyCollection<Zone> zones, CancellationToken cancellationToken)
    {
        var connectionString = configuration.GetConnectionString(ResourceNames.Database);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            LogNoDatabase(logger, zones.Count);
            return;
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var org = new NpgsqlCommand("INSERT INTO organizations (org_id, name) VALUES ($1, $1) ON CONFLICT (org_id) DO NOTHING", connection, transaction))
        {
            org.Parameters.Add(new NpgsqlParameter { Value = orgId });
            await org.ExecuteNonQueryAsync(cancellationToken);
        }

        const string upsert = """
            INSERT INTO zones (org_id, zone_id, site_id, camera_id, document, updated_at)
            VALUES ($1, $2, $3, $4, $5, now())
            ON CONFLICT (org_id, zone_id) DO UPDATE SET document = excluded.document, updated_at = now()
            """;
        foreach (var zone in zones)
        {
            await using var command = new NpgsqlCommand(upsert, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = zone.OrgId });
            command.Parameters.Add(new NpgsqlParameter { Value = zone.ZoneId });
            command.Parameters.Add(new NpgsqlParameter { Value = zone.SiteId });
            command.Parameters.Add(new NpgsqlParameter { Value = zone.CameraId });
            command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(zone, AnalyticsJsonContext.Default.Zone), NpgsqlDbType = NpgsqlDbType.Jsonb });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogZonesWritten(logger, zones.Count, orgId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No ConnectionStrings:analytics configured; the {Count} scene zones are not created and must already exist")]
    private static partial void LogNoDatabase(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created or updated {Count} scene zones of organization {OrgId}")]
    private static partial void LogZonesWritten(ILogger logger, int count, string orgId);
}
