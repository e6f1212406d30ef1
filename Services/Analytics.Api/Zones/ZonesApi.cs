using Analytics.Data.Registry;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

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

/// <summary>Which zones to list: those of one site and/or one camera when given.</summary>
public sealed record ZoneListQuery(
    [FromQuery(Name = "siteId")] string? SiteId,
    [FromQuery(Name = "cameraId")] string? CameraId);

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
        var zones = app.MapGroup("/v1/zones").RequireAuthorization().WithTenantTransaction()
            .WithTag("Zones",
                "Polygons in a camera's image that the rules reason about (shelves, exits, restricted areas), with their schedules and thresholds.");

        zones.MapGet("/", ListAsync).WithName("ListZones").WithSummary("The organization's zones, optionally of one site or camera")
            .RequirePermission(Permission.Read);
        zones.MapGet("/{zoneId}", GetAsync).WithName("GetZone").WithSummary("One zone")
            .RequirePermission(Permission.Read)
            .ProducesProblem(StatusCodes.Status404NotFound);
        zones.MapPut("/{zoneId}", PutAsync).WithName("PutZone").WithSummary("Create or replace a zone")
            .RequirePermission(Permission.Configure, Reach.Organization);
        zones.MapDelete("/{zoneId}", DeleteAsync).WithName("DeleteZone").WithSummary("Delete a zone")
            .RequirePermission(Permission.Configure, Reach.Organization)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Ok<Zone[]>> ListAsync(HttpContext context, TenantTransaction tenant, [AsParameters] ZoneListQuery query) =>
        TypedResults.Ok((await RegistryStore.ZonesAsync(tenant.Connection, context.User.OrgId(), query.SiteId, query.CameraId, context.RequestAborted))
            .WithinReach(context.User, zone => zone.SiteId));

    public static async Task<Results<Ok<Zone>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, string zoneId) =>
        await RegistryStore.ZoneAsync(tenant.Connection, context.User.OrgId(), zoneId, context.RequestAborted) is { } zone
            && context.User.MayReach(zone.SiteId)
            ? TypedResults.Ok(zone)
            : Problems.NotFound(Resource, zoneId);

    public static async Task<Results<Ok<Zone>, Created<Zone>, ProblemHttpResult>> PutAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, string zoneId, ZoneRequest request)
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

        var before = await RegistryStore.ZoneAsync(tenant.Connection, zone.OrgId, zoneId, context.RequestAborted);
        var put = await RegistryStore.PutZoneAsync(tenant.Connection, zone, context.RequestAborted);
        if (put.Outcome is PutOutcome.Created or PutOutcome.Replaced)
        {
            await AuditTrail.RecordAsync(context, tenant, put.Outcome == PutOutcome.Created ? "zone.created" : "zone.replaced", Resource, zoneId, before, zone);
        }
        return put switch
        {
            { Outcome: PutOutcome.Created } => TypedResults.Created($"/v1/zones/{Uri.EscapeDataString(zoneId)}", zone),
            { Outcome: PutOutcome.Replaced } => TypedResults.Ok(zone),
            // Which field is wrong: the site of another camera, or a camera the organization does not have.
            { CameraSite: { } cameraSite } => Problems.Invalid(Resource, "$.siteId",
                $"must be '{cameraSite}', the site of camera '{zone.CameraId}', was '{zone.SiteId}'"),
            _ => Problems.Invalid(Resource, "$.cameraId",
                $"must name a camera of your organization; there is no camera '{zone.CameraId}' (create it with PUT /v1/cameras/{{cameraId}})"),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, TenantTransaction tenant, string zoneId)
    {
        var before = await RegistryStore.ZoneAsync(tenant.Connection, context.User.OrgId(), zoneId, context.RequestAborted);
        return await RegistryStore.DeleteZoneAsync(tenant.Connection, context.User.OrgId(), zoneId, context.RequestAborted)
            ? await AuditTrail.DeletedAsync(context, tenant, Resource, zoneId, before)
            : Problems.NotFound(Resource, zoneId);
    }
}
