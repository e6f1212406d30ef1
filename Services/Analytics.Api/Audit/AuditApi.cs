using System.Text.Json;
using Analytics.Data.Audit;
using Analytics.OpenApi;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api.Audit;

/// <summary>
/// One recorded change or audited read: who (<c>user:&lt;id&gt;</c> or <c>api-key:&lt;fingerprint&gt;</c>),
/// when, what (<c>zone.replaced</c>, <c>incident.acknowledged</c>, <c>education.read</c>, ...), to
/// which thing, and the thing before and after as the API shows it.
/// </summary>
public sealed record AuditEventView(
    Guid EventId, DateTimeOffset At, string Actor, string Action, string TargetType, string TargetId,
    JsonElement? Before, JsonElement? After, string? TraceId)
{
    public static AuditEventView Of(AuditEvent e) => new(
        e.EventId, e.At, e.Actor, e.Action, e.TargetType, e.TargetId, Parse(e.Before), Parse(e.After), e.TraceId);

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}

/// <summary>One page of the audit trail, newest first; pass <see cref="NextCursor"/> back for the next page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEventView> Items, string? NextCursor);

/// <summary>The audit trail's query: by actor, target and time (<c>from</c> inclusive, <c>to</c> exclusive), and the page.</summary>
public sealed record AuditQuery(
    [FromQuery(Name = "actor")] string? Actor,
    [FromQuery(Name = "targetType")] string? TargetType,
    [FromQuery(Name = "targetId")] string? TargetId,
    [FromQuery(Name = "from")] DateTimeOffset? From,
    [FromQuery(Name = "to")] DateTimeOffset? To,
    [FromQuery(Name = "limit")] int? Limit,
    [FromQuery(Name = "cursor")] string? Cursor);

/// <summary>
/// The organization's audit trail, for owners, admins and keys with the <c>admin</c> scope. Events
/// are written in the transaction of the change they record and can never be changed or deleted
/// (migration 0021).
/// </summary>
public static class AuditApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/audit").RequirePermission(Permission.ReadAudit, Reach.Organization).WithTenantTransaction()
            .WithTag("Audit", "Every change to the organization's configuration, every operator action and every read of education data: who, when, what, before and after.")
            .MapGet("/", ListAsync).WithName("ListAuditEvents")
            .WithSummary("The audit trail, newest first, by actor, target and time, paged");
        return app;
    }

    public static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> ListAsync(HttpContext context, TenantTransaction tenant, [AsParameters] AuditQuery query)
    {
        var errors = new List<ValidationProblem>();
        var (pageSize, after) = ListQuery.Page(query.Limit, query.Cursor, DefaultLimit, MaxLimit, errors);
        Guid afterId = default;
        if (after is not null && !Guid.TryParse(after.Id, out afterId))
        {
            errors.Add(new ValidationProblem("$.cursor", "is not a cursor this API returned"));
        }
        if (query is { From: { } from, To: { } to } && to <= from)
        {
            errors.Add(new ValidationProblem("$.to", $"must be after from ({from:O}), was {to:O}"));
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid("query", errors);
        }

        var events = await AuditStore.ListAsync(tenant.Connection, new AuditFilter(
            context.User.OrgId(), query.Actor, query.TargetType, query.TargetId, query.From, query.To,
            after is not null ? (after.At, afterId) : null, pageSize + 1), context.RequestAborted);
        var more = events.Count > pageSize;
        if (more)
        {
            events.RemoveAt(events.Count - 1);
        }
        return TypedResults.Ok(new AuditPage(
            [.. events.Select(AuditEventView.Of)],
            more ? KeysetCursor.Of(events[^1].At, events[^1].EventId.ToString()) : null));
    }
}
