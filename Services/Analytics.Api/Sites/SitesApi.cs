using Analytics.Data.Registry;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analytics.Api.Sites;

/// <summary>A site as a client sends it; the organization comes from the API key, the id from the URL.</summary>
public sealed record SiteRequest(string Name, string TimeZone, string? Address = null, string? Description = null);

/// <summary>
/// The caller's sites, the places its cameras are at. Every query is scoped to the organization of
/// the API key, so one organization never sees or changes another's. A site that still has cameras
/// cannot be deleted, so no camera is ever left without its site.
/// </summary>
public static class SitesApi
{
    private const string Resource = "site";

    public static IEndpointRouteBuilder MapSitesApi(this IEndpointRouteBuilder app)
    {
        var sites = app.MapGroup("/v1/sites").RequireAuthorization().WithTenantTransaction()
            .WithTag("Sites",
                "The places an organization's cameras are at, each with its time zone.");

        sites.MapGet("/", ListAsync).WithName("ListSites").WithSummary("The organization's sites")
            .RequirePermission(Permission.Read);
        sites.MapGet("/{siteId}", GetAsync).WithName("GetSite").WithSummary("One site")
            .RequirePermission(Permission.Read)
            .ProducesProblem(StatusCodes.Status404NotFound);
        sites.MapPut("/{siteId}", PutAsync).WithName("PutSite").WithSummary("Create or replace a site")
            .RequirePermission(Permission.Configure, Reach.Organization);
        sites.MapDelete("/{siteId}", DeleteAsync).WithName("DeleteSite").WithSummary("Delete a site that has no cameras")
            .RequirePermission(Permission.Configure, Reach.Organization)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithProblem(StatusCodes.Status409Conflict, "The site still has cameras; `detail` names them. Nothing was changed.");
        return app;
    }

    public static async Task<Ok<Site[]>> ListAsync(HttpContext context, TenantTransaction tenant) =>
        TypedResults.Ok((await RegistryStore.SitesAsync(tenant.Connection, context.User.OrgId(), context.RequestAborted))
            .WithinReach(context.User, site => site.SiteId));

    public static async Task<Results<Ok<Site>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, string siteId) =>
        await RegistryStore.SiteAsync(tenant.Connection, context.User.OrgId(), siteId, context.RequestAborted) is { } site
            && context.User.MayReach(site.SiteId)
            ? TypedResults.Ok(site)
            : Problems.NotFound(Resource, siteId);

    public static async Task<Results<Ok<Site>, Created<Site>, ProblemHttpResult>> PutAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, string siteId, SiteRequest request)
    {
        var site = new Site
        {
            OrgId = context.User.OrgId(),
            SiteId = siteId,
            Name = request.Name,
            TimeZone = request.TimeZone,
            Address = request.Address,
            Description = request.Description,
        };
        var problems = ContractValidator.Validate(site, clock);
        if (problems.Count > 0)
        {
            return Problems.Invalid(Resource, problems);
        }

        var before = await RegistryStore.SiteAsync(tenant.Connection, site.OrgId, siteId, context.RequestAborted);
        var created = await RegistryStore.PutSiteAsync(tenant.Connection, site, context.RequestAborted) == PutOutcome.Created;
        await AuditTrail.RecordAsync(context, tenant, created ? "site.created" : "site.replaced", Resource, siteId, before, site);
        return created ? TypedResults.Created($"/v1/sites/{Uri.EscapeDataString(siteId)}", site) : TypedResults.Ok(site);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, TenantTransaction tenant, string siteId)
    {
        var before = await RegistryStore.SiteAsync(tenant.Connection, context.User.OrgId(), siteId, context.RequestAborted);
        return await RegistryStore.DeleteSiteAsync(tenant.Connection, context.User.OrgId(), siteId, context.RequestAborted) switch
        {
            { Deleted: true } => await AuditTrail.DeletedAsync(context, tenant, Resource, siteId, before),
            { BlockedBy: { } cameras } => Problems.Conflict(
                "The site still has cameras; nothing was changed",
                $"Site '{siteId}' still has {Problems.Describe(cameras, "camera", "cameras")}. Delete them or move them to another site first."),
            _ => Problems.NotFound(Resource, siteId),
        };
    }
}
