using System.ComponentModel;
using System.Text.Json.Serialization;
using Analytics.Data.Registry;
using Analytics.Incidents;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Analytics.Api.Cameras;

/// <summary>A camera as a client sends it; the organization comes from the API key, the id from the URL.</summary>
public sealed record CameraRequest(string SiteId, string Name, string? Description = null, int? OfflineAfterSeconds = null);

/// <summary>
/// Whether a camera is online, and why: a view of its own beside the camera, not more fields of
/// <see cref="Camera"/>, because the camera is configuration (what a PUT sends and its JSON Schema
/// describes) and this is the state ingest writes many times a minute. The two times are always
/// present, null when the camera never sent anything, so a client need not tell absent from null.
/// </summary>
[Description("A registered camera's presence: when it last sent observations or heartbeats, and whether that is within its offline threshold.")]
public sealed record CameraStatus(
    [property: Description("Camera id.")] string CameraId,
    [property: Description("Site the camera belongs to.")] string SiteId,
    [property: Description("When ingest last committed observations or heartbeats of the camera, UTC; null when it never sent any."), JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    DateTimeOffset? LastSeenAt,
    [property: Description("The newest event time (occurredAt) the camera sent, UTC; null when it never sent any."), JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    DateTimeOffset? LastEventAt,
    [property: Description("Seen within offlineAfterSeconds of now; false when silent for longer or never seen. The rule fusion opens camera_offline incidents by, so they agree.")]
    bool Online,
    [property: Description("Seconds of silence after which the camera counts as offline: its own offlineAfterSeconds, or Fusion:CameraOfflineSeconds when it has none.")]
    int OfflineAfterSeconds);

/// <summary>
/// The caller's cameras. Every query is scoped to the organization of the API key. A camera names
/// an existing site of the same organization; one that still has zones cannot be deleted, and
/// moving it to another site moves its zones with it, since they are drawn in its image.
/// </summary>
public static class CamerasApi
{
    private const string Resource = "camera";

    public static IEndpointRouteBuilder MapCamerasApi(this IEndpointRouteBuilder app)
    {
        var cameras = app.MapGroup("/v1/cameras").RequireAuthorization().WithTenantTransaction()
            .WithTag("Cameras",
                "An organization's cameras, each at one of its sites; a camera's zones are drawn in its image.");

        cameras.MapGet("/", ListAsync).WithName("ListCameras").WithSummary("The organization's cameras, optionally of one site")
            .RequirePermission(Permission.Read);
        cameras.MapGet("/status", ListStatusAsync).WithName("ListCameraStatus")
            .WithSummary("Each camera's presence: online or offline, when it was last seen, optionally of one site")
            .RequirePermission(Permission.Read);
        cameras.MapGet("/{cameraId}", GetAsync).WithName("GetCamera").WithSummary("One camera")
            .RequirePermission(Permission.Read)
            .ProducesProblem(StatusCodes.Status404NotFound);
        cameras.MapPut("/{cameraId}", PutAsync).WithName("PutCamera").WithSummary("Create or replace a camera at an existing site")
            .RequirePermission(Permission.Configure, Reach.Organization);
        cameras.MapDelete("/{cameraId}", DeleteAsync).WithName("DeleteCamera").WithSummary("Delete a camera that has no zones")
            .RequirePermission(Permission.Configure, Reach.Organization)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithProblem(StatusCodes.Status409Conflict, "The camera still has zones; `detail` names them. Nothing was changed.");
        return app;
    }

    public static async Task<Ok<Camera[]>> ListAsync(HttpContext context, TenantTransaction tenant, string? siteId) =>
        TypedResults.Ok((await RegistryStore.CamerasAsync(tenant.Connection, context.User.OrgId(), siteId, context.RequestAborted))
            .WithinReach(context.User, camera => camera.SiteId));

    /// <summary>
    /// The caller's cameras with their presence now; a caller limited to sites sees only its sites'.
    /// Only registered cameras: one that sends without being registered has no site to limit it to.
    /// </summary>
    public static async Task<Ok<CameraStatus[]>> ListStatusAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, IOptions<FusionSettings> fusion, string? siteId)
    {
        var cameras = await RegistryStore.CameraPresenceAsync(
            tenant.Connection, context.User.OrgId(), siteId, clock.GetUtcNow(), fusion.Value.CameraOfflineSeconds, context.RequestAborted);
        return TypedResults.Ok(cameras.WithinReach(context.User, camera => camera.SiteId)
            .Select(c => new CameraStatus(c.CameraId, c.SiteId, c.LastSeenAt, c.LastEventAt, c.Online, c.OfflineAfterSeconds))
            .ToArray());
    }

    public static async Task<Results<Ok<Camera>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, string cameraId) =>
        await RegistryStore.CameraAsync(tenant.Connection, context.User.OrgId(), cameraId, context.RequestAborted) is { } camera
            && context.User.MayReach(camera.SiteId)
            ? TypedResults.Ok(camera)
            : Problems.NotFound(Resource, cameraId);

    public static async Task<Results<Ok<Camera>, Created<Camera>, ProblemHttpResult>> PutAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, string cameraId, CameraRequest request)
    {
        var camera = new Camera
        {
            OrgId = context.User.OrgId(),
            CameraId = cameraId,
            SiteId = request.SiteId,
            Name = request.Name,
            Description = request.Description,
            OfflineAfterSeconds = request.OfflineAfterSeconds,
        };
        var problems = ContractValidator.Validate(camera, clock);
        if (problems.Count > 0)
        {
            return Problems.Invalid(Resource, problems);
        }

        var before = await RegistryStore.CameraAsync(tenant.Connection, camera.OrgId, cameraId, context.RequestAborted);
        var outcome = await RegistryStore.PutCameraAsync(tenant.Connection, camera, context.RequestAborted);
        if (outcome is PutOutcome.Created or PutOutcome.Replaced)
        {
            await AuditTrail.RecordAsync(context, tenant, outcome == PutOutcome.Created ? "camera.created" : "camera.replaced", Resource, cameraId, before, camera);
        }
        return outcome switch
        {
            PutOutcome.Created => TypedResults.Created($"/v1/cameras/{Uri.EscapeDataString(cameraId)}", camera),
            PutOutcome.Replaced => TypedResults.Ok(camera),
            _ => Problems.Invalid(Resource, "$.siteId", $"must name a site of your organization; there is no site '{camera.SiteId}'"),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, TenantTransaction tenant, string cameraId)
    {
        var before = await RegistryStore.CameraAsync(tenant.Connection, context.User.OrgId(), cameraId, context.RequestAborted);
        return await RegistryStore.DeleteCameraAsync(tenant.Connection, context.User.OrgId(), cameraId, context.RequestAborted) switch
        {
            { Deleted: true } => await AuditTrail.DeletedAsync(context, tenant, Resource, cameraId, before),
            { BlockedBy: { } zones } => Problems.Conflict(
                "The camera still has zones; nothing was changed",
                $"Camera '{cameraId}' still has {Problems.Describe(zones, "zone", "zones")}. Delete them first."),
            _ => Problems.NotFound(Resource, cameraId),
        };
    }
}
