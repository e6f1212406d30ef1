using Analytics.Data.Incidents;
using Analytics.Incidents;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Analytics.Api.Silences;

/// <summary>A silence as a client asks for it; it starts now unless <see cref="StartsAt"/> says otherwise.</summary>
public sealed record SilenceRequest(
    DateTimeOffset EndsAt,
    string? SiteId = null,
    string? CameraId = null,
    string? ZoneId = null,
    string? Kind = null,
    DateTimeOffset? StartsAt = null,
    string? Comment = null);

/// <summary>
/// The caller's silences. Fusion consults them whenever an incident change would notify: the
/// incident is still recorded, marked silenced with the silence's id, and the notifier records
/// why it stayed quiet. Ending a silence keeps it, expired, for the record.
/// </summary>
public static class SilencesApi
{
    public static IEndpointRouteBuilder MapSilencesApi(this IEndpointRouteBuilder app)
    {
        var silences = app.MapGroup("/v1/silences").RequireAuthorization().WithTenantTransaction()
            .WithTag("Silences",
                "Times in which matching incidents are still recorded but notify nobody, e.g. during maintenance.");

        silences.MapGet("/", ListAsync).WithName("ListSilences").WithSummary("The organization's silences; active ones only unless all=true")
            .RequirePermission(Permission.Read);
        silences.MapGet("/{silenceId}", GetAsync).WithName("GetSilence").WithSummary("One silence")
            .RequirePermission(Permission.Read)
            .ProducesProblem(StatusCodes.Status404NotFound);
        silences.MapPost("/", CreateAsync).WithName("CreateSilence").WithSummary("Mute notifications of matching incidents for a while")
            .RequirePermission(Permission.Act);
        silences.MapDelete("/{silenceId}", ExpireAsync).WithName("ExpireSilence").WithSummary("End a silence now; it stays listed as expired")
            .RequirePermission(Permission.Act)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Ok<Silence[]>> ListAsync(HttpContext context, TenantTransaction tenant, TimeProvider clock, bool? all)
    {
        var silences = await SilenceStore.ListAsync(tenant.Connection, context.User.OrgId(), all ?? false, clock.GetUtcNow(), context.RequestAborted);
        var limit = context.User.SiteLimit();
        return TypedResults.Ok(silences.Where(silence => Visible(limit, silence)).ToArray());
    }

    public static async Task<Results<Ok<Silence>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, string silenceId) =>
        await SilenceStore.GetAsync(tenant.Connection, context.User.OrgId(), silenceId, context.RequestAborted) is { } silence
            && Visible(context.User.SiteLimit(), silence)
            ? TypedResults.Ok(silence)
            : Problems.NotFound("silence", silenceId);

    public static async Task<Results<Created<Silence>, ProblemHttpResult>> CreateAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, IOptions<FusionSettings> fusion, SilenceRequest request)
    {
        if (!context.User.MayReach(request.SiteId))
        {
            return Problems.OutsideSites(request.SiteId is null
                ? "A silence without a site mutes every site; name one of your sites in siteId."
                : $"Site '{request.SiteId}' is not one of your sites.");
        }
        var now = clock.GetUtcNow();
        var silence = new Silence
        {
            SilenceId = "sil-" + Guid.CreateVersion7().ToString("N"),
            OrgId = context.User.OrgId(),
            SiteId = request.SiteId,
            CameraId = request.CameraId,
            ZoneId = request.ZoneId,
            Kind = request.Kind,
            StartsAt = request.StartsAt ?? now,
            EndsAt = request.EndsAt,
            Comment = request.Comment,
            CreatedBy = context.User.Actor(),
            CreatedAt = now,
        };
        var problems = ContractValidator.Validate(silence, now).ToList();
        // The kinds come from the rules and fusion's correlations, which the contract cannot know.
        var known = IncidentKinds.Known(fusion.Value.Correlations.Select(c => c.Name));
        if (silence.Kind is { } kind && !known.Contains(kind, StringComparer.Ordinal))
        {
            problems.Add(new Analytics.Schemas.Contracts.ValidationProblem("$.kind", $"must be a kind of incident: one of {string.Join(", ", known)}, was '{kind}'"));
        }
        if (problems.Count > 0)
        {
            return Problems.Invalid("silence", problems);
        }
        await SilenceStore.WriteAsync(tenant.Connection, silence, context.RequestAborted);
        await AuditTrail.RecordAsync(context, tenant, "silence.created", "silence", silence.SilenceId, after: silence);
        return TypedResults.Created($"/v1/silences/{silence.SilenceId}", silence);
    }

    public static async Task<Results<Ok<Silence>, ProblemHttpResult>> ExpireAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, string silenceId)
    {
        var found = await GetAsync(context, tenant, silenceId);
        if (found.Result is not Ok<Silence> { Value: { } silence })
        {
            return Problems.NotFound("silence", silenceId);
        }
        if (!context.User.MayReach(silence.SiteId))
        {
            return Problems.OutsideSites("The silence mutes every site; only a caller who reaches every site may end it.");
        }
        var now = clock.GetUtcNow();
        if (silence.EndsAt <= now)
        {
            return TypedResults.Ok(silence);
        }
        // A silence that has not started yet ends before it starts: it never applied.
        var expired = silence with { EndsAt = now, StartsAt = silence.StartsAt > now ? now : silence.StartsAt };
        await SilenceStore.WriteAsync(tenant.Connection, expired, context.RequestAborted);
        await AuditTrail.RecordAsync(context, tenant, "silence.expired", "silence", silenceId, silence, expired);
        return TypedResults.Ok(expired);
    }

    /// <summary>
    /// A caller limited to sites sees the silences of its sites and those that mute a kind at every
    /// site (they mute its incidents too), and makes or ends only silences of its sites. A silence
    /// that names a camera or zone but no site is not shown to it: the camera may be another site's.
    /// </summary>
    private static bool Visible(IReadOnlySet<string>? siteLimit, Silence silence) =>
        siteLimit is null || (silence.SiteId is null ? silence.CameraId is null && silence.ZoneId is null : siteLimit.Contains(silence.SiteId));
}
