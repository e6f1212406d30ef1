using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Analytics.Api.Zones;

/// <summary>A zone as a client sends it; the organization comes from the API key, the id from the URL.</summary>
public sealed record ZoneRequest(
    string SiteId,
    string CameraId,
    string Name,
    ZoneKind Kind,
    IReadOnlyList<Point> Polygon,
    ActiveHours? Schedule = null,
    IReadOnlyList<string>? Rules = null,
    ZoneThresholds? Thresholds = null);

/// <summary>
/// The caller's zones: polygons in a camera's image that the rules reason about. Every query is
/// scoped to the organization of the API key, so one organization never sees or changes another's.
/// A zone names an existing camera of the organization and that camera's site. The analytics
/// services pick changes up with the next observations, without a restart.
/// </summary>
public static class ZonesApi
{
    private const string Resource = "zone";

    public static IEndpointRouteBuilder MapZonesApi(this IEndpointRouteBuilder app)
    {
        var zones = app.MapGroup("/v1/zones").WithTags("Zones").RequireAuthorization();

        zones.MapGet("/", ListAsync).WithName("ListZones").WithSummary("The organization's zones, optionally of one site or camera");
        zones.MapGet("/{zoneId}", GetAsync).WithName("GetZone").WithSummary("One zone");
        zones.MapPut("/{zoneId}", PutAsync).WithName("PutZone").WithSummary("Create or replace a zone");
        zones.MapDelete("/{zoneId}", DeleteAsync).WithName("DeleteZone").WithSummary("Delete a zone");
        return app;
    }

    public static async Task<Ok<Zone[]>> ListAsync(HttpContext context, NpgsqlDataSource dataSource, string? siteId, string? cameraId)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT document::text FROM zones
            WHERE org_id = $1 AND ($2::text IS NULL OR site_id = $2) AND ($3::text IS NULL OR camera_id = $3)
            ORDER BY site_id, camera_id, zone_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)siteId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)cameraId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var zones = new List<Zone>();
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        while (await reader.ReadAsync(context.RequestAborted))
        {
            zones.Add(JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.Zone)!);
        }
        return TypedResults.Ok(zones.ToArray());
    }

    public static async Task<Results<Ok<Zone>, ProblemHttpResult>> GetAsync(HttpContext context, NpgsqlDataSource dataSource, string zoneId)
    {
        await using var command = dataSource.CreateCommand("SELECT document::text FROM zones WHERE org_id = $1 AND zone_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(new NpgsqlParameter { Value = zoneId });
        return await command.ExecuteScalarAsync(context.RequestAborted) is string document
            ? TypedResults.Ok(JsonSerializer.Deserialize(document, AnalyticsJsonContext.Default.Zone)!)
            : Problems.NotFound(Resource, zoneId);
    }

    public static async Task<Results<Ok<Zone>, Created<Zone>, ProblemHttpResult>> PutAsync(
        HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock, string zoneId, ZoneRequest request)
    {
        var zone = new Zone
        {
            OrgId = context.User.OrgId(),
            ZoneId = zoneId,
            SiteId = request.SiteId,
            CameraId = request.CameraId,
            Name = request.Name,
            Kind = request.Kind,
            Polygon = request.Polygon,
            Schedule = request.Schedule,
            Rules = request.Rules,
            Thresholds = request.Thresholds,
        };
        var problems = ContractValidator.Validate(zone, clock);
        if (problems.Count > 0)
        {
            return Problems.Invalid(Resource, problems);
        }

        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO zones (org_id, zone_id, site_id, camera_id, document) VALUES ($1, $2, $3, $4, $5::jsonb)
            ON CONFLICT (org_id, zone_id) DO UPDATE
                SET site_id = excluded.site_id, camera_id = excluded.camera_id, document = excluded.document, updated_at = now()
            RETURNING (xmax = 0)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = zone.OrgId });
        command.Parameters.Add(new NpgsqlParameter { Value = zone.ZoneId });
        command.Parameters.Add(new NpgsqlParameter { Value = zone.SiteId });
        command.Parameters.Add(new NpgsqlParameter { Value = zone.CameraId });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(zone, AnalyticsJsonContext.Default.Zone) });
        bool created;
        try
        {
            created = (bool)(await command.ExecuteScalarAsync(context.RequestAborted))!;
        }
        catch (PostgresException exception) when (exception.Violates(ForeignKeys.ZoneCamera))
        {
            return await CameraProblemAsync(dataSource, zone, context.RequestAborted);
        }
        return created ? TypedResults.Created($"/v1/zones/{Uri.EscapeDataString(zoneId)}", zone) : TypedResults.Ok(zone);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, NpgsqlDataSource dataSource, string zoneId)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM zones WHERE org_id = $1 AND zone_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(new NpgsqlParameter { Value = zoneId });
        return await command.ExecuteNonQueryAsync(context.RequestAborted) > 0 ? TypedResults.NoContent() : Problems.NotFound(Resource, zoneId);
    }

    /// <summary>Says which field is wrong: a camera the organization does not have, or the site of another camera.</summary>
    private static async Task<ProblemHttpResult> CameraProblemAsync(NpgsqlDataSource dataSource, Zone zone, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT site_id FROM cameras WHERE org_id = $1 AND camera_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = zone.OrgId });
        command.Parameters.Add(new NpgsqlParameter { Value = zone.CameraId });
        return await command.ExecuteScalarAsync(cancellationToken) is string cameraSite
            ? Problems.Invalid(Resource, "$.siteId", $"must be '{cameraSite}', the site of camera '{zone.CameraId}', was '{zone.SiteId}'")
            : Problems.Invalid(Resource, "$.cameraId", $"must name a camera of your organization; there is no camera '{zone.CameraId}' (create it with PUT /v1/cameras/{{cameraId}})");
    }
}
