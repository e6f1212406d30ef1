using Analytics.Data.Tenancy;
using Analytics.OpenApi;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analytics.Api.Organization;

/// <summary>
/// The organization's own settings. <see cref="EducationEnabled"/>: whether the education domain
/// (classroom affect telemetry and what is inferred from it) is on; off until an owner turns it on.
/// </summary>
public sealed record OrganizationSettings(bool EducationEnabled);

/// <summary>A change to the organization's settings; every field is required, so nothing changes by omission.</summary>
public sealed record OrganizationSettingsChange(bool? EducationEnabled);

/// <summary>
/// The caller's organization's settings: read by anyone of the organization who reaches every
/// site, changed only by its owners, and every change is in the audit trail.
/// </summary>
public static class OrganizationSettingsApi
{
    public static IEndpointRouteBuilder MapOrganizationSettingsApi(this IEndpointRouteBuilder app)
    {
        var settings = app.MapGroup("/v1/organization/settings").WithTenantTransaction()
            .WithTag("Organization", "The organization's own settings, such as the education opt-in.");
        settings.MapGet("/", GetAsync).WithName("GetOrganizationSettings").WithSummary("The organization's settings")
            .RequirePermission(Permission.Read, Reach.Organization);
        settings.MapPut("/", PutAsync).WithName("PutOrganizationSettings")
            .WithSummary("Change the organization's settings (owners only): educationEnabled turns the education domain on or off")
            .RequirePermission(Permission.ManageOrganization, Reach.Organization);
        return app;
    }

    public static async Task<Ok<OrganizationSettings>> GetAsync(HttpContext context, TenantTransaction tenant) =>
        TypedResults.Ok(new OrganizationSettings(await OrganizationStore.EducationEnabledAsync(tenant.Connection, context.User.OrgId(), context.RequestAborted)));

    public static async Task<Results<Ok<OrganizationSettings>, ProblemHttpResult>> PutAsync(
        HttpContext context, TenantTransaction tenant, OrganizationSettingsChange change)
    {
        if (change.EducationEnabled is not { } enabled)
        {
            return Problems.Invalid("settings", "$.educationEnabled", "is required (true or false)");
        }
        var orgId = context.User.OrgId();
        var before = new OrganizationSettings(await OrganizationStore.EducationEnabledAsync(tenant.Connection, orgId, context.RequestAborted));
        if (await OrganizationStore.SetEducationEnabledAsync(tenant.Connection, orgId, enabled, context.RequestAborted))
        {
            await AuditTrail.RecordAsync(context, tenant, enabled ? "organization.education_enabled" : "organization.education_disabled",
                "organization", orgId, before, new OrganizationSettings(enabled));
        }
        return TypedResults.Ok(new OrganizationSettings(enabled));
    }
}
