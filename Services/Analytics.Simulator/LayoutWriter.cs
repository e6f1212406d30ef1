using Analytics.Data.Audit;
using Analytics.Data.Registry;
using Analytics.Data.Tenancy;
using Analytics.Scenes;
using Analytics.Schemas;
using Npgsql;

namespace Analytics.Simulator;

/// <summary>
/// Registers what the scenes play on, through the registry's and the organizations' stores, when a
/// connection string is configured: the organization, its sites and cameras when missing, and the
/// scenes' zones. Otherwise all of them must already exist. The stores, not the API, because the
/// API cannot create an organization; one transaction, so a failed start leaves nothing half registered.
/// </summary>
public sealed partial class LayoutWriter(IConfiguration configuration, ILogger<LayoutWriter> logger)
{
    /// <summary>Time zone of the sites registered here; an operator sets the real one with PUT /v1/sites/{siteId}.</summary>
    public const string SiteTimeZone = "UTC";

    /// <summary>Who the audit trail names when the simulator opts its organization into education.</summary>
    public const string Actor = "simulator";

    public async Task WriteAsync(string orgId, IReadOnlyCollection<SceneScript> scenes, bool enableEducation, CancellationToken cancellationToken)
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
        // It connects as the API's role, which writes only the organization it is under.
        await TenantContext.EnterAsync(connection, orgId, Actor, cancellationToken);
        await OrganizationStore.EnsureAsync(connection, orgId, cancellationToken);
        if (enableEducation && await OrganizationStore.SetEducationEnabledAsync(connection, orgId, true, cancellationToken))
        {
            await AuditStore.AppendAsync(connection, new AuditEvent
            {
                EventId = Guid.CreateVersion7(),
                OrgId = orgId,
                Actor = Actor,
                Action = "organization.education_enabled",
                TargetType = "organization",
                TargetId = orgId,
                Before = """{"educationEnabled":false}""",
                After = """{"educationEnabled":true}""",
            }, cancellationToken);
        }
        // Existing sites and cameras are kept as they are, so names and time zones an operator
        // gave them survive a restart of the simulator.
        await RegistryStore.EnsureSitesAsync(connection, orgId, scenes.Select(scene => scene.SiteId).Distinct(StringComparer.Ordinal), SiteTimeZone, cancellationToken);
        await RegistryStore.EnsureCamerasAsync(connection, orgId, scenes.Select(scene => (scene.CameraId, scene.SiteId)).Distinct(), cancellationToken);
        await RegistryStore.UpsertZonesAsync(connection, zones, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogLayoutWritten(logger, zones.Count, orgId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No ConnectionStrings:analytics configured; the scenes' sites, cameras and {Count} zones are not created and must already exist")]
    private static partial void LogNoDatabase(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered the scenes' sites and cameras and created or updated {Count} zones of organization {OrgId}")]
    private static partial void LogLayoutWritten(ILogger logger, int count, string orgId);
}
