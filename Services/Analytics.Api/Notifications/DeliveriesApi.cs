using Analytics.Data.Notifications;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api.Notifications;

/// <summary>One page of the delivery log, newest decision first; pass <see cref="NextCursor"/> back for the next page.</summary>
public sealed record DeliveryPage(IReadOnlyList<Delivery> Items, string? NextCursor);

/// <summary>The delivery list's query: by incident, rule, status or digest, and the page (<c>limit</c>, <c>cursor</c>).</summary>
public sealed record DeliveryListQuery(
    [FromQuery(Name = "incidentId")] string? IncidentId,
    [FromQuery(Name = "ruleId")] string? RuleId,
    [FromQuery(Name = "status")] string? Status,
    [FromQuery(Name = "digestId")] string? DigestId,
    [FromQuery(Name = "limit")] int? Limit,
    [FromQuery(Name = "cursor")] string? Cursor);

/// <summary>
/// The caller's delivery log: every notification decision with its reason (sent, retried, dead
/// letter, suppressed by a silence, an acknowledgement, quiet hours or the cooldown, folded into a
/// digest, or no rule matched) and every attempt. It answers "why was I (not) notified?".
/// </summary>
public static class DeliveriesApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapDeliveriesApi(this IEndpointRouteBuilder app)
    {
        var deliveries = app.MapGroup("/v1/deliveries").RequirePermission(Permission.Read, Reach.Organization).WithTenantTransaction()
            .WithTag("Deliveries",
                "The delivery log: every notification decision with its reason (sent, retried, suppressed, folded into a digest, no rule matched) and every attempt.");

        deliveries.MapGet("/", ListAsync).WithName("ListDeliveries")
            .WithSummary("The delivery log, newest first, by incident, rule, status or digest, paged");
        deliveries.MapGet("/{deliveryId}", GetAsync).WithName("GetDelivery").WithSummary("One delivery with its attempts")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Results<Ok<DeliveryPage>, ProblemHttpResult>> ListAsync(
        HttpContext context, TenantTransaction tenant, [AsParameters] DeliveryListQuery query)
    {
        var errors = new List<ValidationProblem>();
        var statusFilter = ListQuery.Filter<DeliveryStatus>(query.Status, "status", errors);
        var (pageSize, after) = ListQuery.Page(query.Limit, query.Cursor, DefaultLimit, MaxLimit, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid("query", errors);
        }

        var items = await DeliveryStore.ListAsync(tenant.Connection, new DeliveryFilter(
            context.User.OrgId(), query.IncidentId, query.RuleId, statusFilter, query.DigestId, after is { } a ? (a.At, a.Id) : null, pageSize + 1),
            context.RequestAborted);
        var more = items.Count > pageSize;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }
        return TypedResults.Ok(new DeliveryPage(items, more ? KeysetCursor.Of(items[^1].DecidedAt, items[^1].DeliveryId) : null));
    }

    public static async Task<Results<Ok<Delivery>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, string deliveryId) =>
        await DeliveryStore.GetAsync(tenant.Connection, context.User.OrgId(), deliveryId, context.RequestAborted) is { } delivery
            ? TypedResults.Ok(delivery)
            : Problems.NotFound("delivery", deliveryId);
}
