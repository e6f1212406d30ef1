using System.Diagnostics;
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

/// <summary>
/// A request the notifier carries out (a test message, a redelivery): the delivery that records
/// what comes of it, which <c>Location</c> names too.
/// </summary>
public sealed record DeliveryRequested(string DeliveryId);

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
/// digest, or no rule matched) and every attempt. It answers "why was I (not) notified?". A dead
/// letter can be sent round again; the notifier does it, as it does all sending.
/// </summary>
public static class DeliveriesApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapDeliveriesApi(this IEndpointRouteBuilder app)
    {
        var deliveries = app.MapGroup("/v1/deliveries").RequireAuthorization().WithTenantTransaction()
            .WithTag("Deliveries",
                "The delivery log: every notification decision with its reason (sent, retried, suppressed, folded into a digest, no rule matched) and every attempt; redelivery of dead letters.");

        deliveries.MapGet("/", ListAsync).WithName("ListDeliveries")
            .WithSummary("The delivery log, newest first, by incident, rule, status or digest, paged")
            .RequirePermission(Permission.Read, Reach.Organization);
        deliveries.MapGet("/{deliveryId}", GetAsync).WithName("GetDelivery").WithSummary("One delivery with its attempts")
            .RequirePermission(Permission.Read, Reach.Organization)
            .ProducesProblem(StatusCodes.Status404NotFound);
        // Acting, not configuring: sending again what a rule already decided to send is an
        // operator's call, like acknowledging; but a dead letter may concern any site, so it needs
        // the whole organization, as the log itself does.
        deliveries.MapPost("/{deliveryId}/redeliver", RedeliverAsync).WithName("RedeliverDelivery")
            .WithSummary("Send a dead letter round again: a fresh round of attempts by the notifier, with the same content and idempotency key; the earlier attempts stay")
            .RequirePermission(Permission.Act, Reach.Organization)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithProblem(StatusCodes.Status409Conflict,
                "The delivery is not a dead letter, or its redelivery was asked for already and the notifier has not started it; `detail` says which. Nothing was changed.");
        return app;
    }

    /// <summary>Where a delivery is read.</summary>
    public static string Location(string deliveryId) => $"/v1/deliveries/{Uri.EscapeDataString(deliveryId)}";

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

    public static async Task<Results<Ok<Delivery>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, string deliveryId)
    {
        var (connection, orgId, aborted) = (tenant.Connection, context.User.OrgId(), context.RequestAborted);
        if (await DeliveryStore.GetAsync(connection, orgId, deliveryId, aborted) is { } delivery)
        {
            return TypedResults.Ok(delivery);
        }
        // A test the notifier has not taken yet reads as the pending delivery it becomes. Read
        // again after: the notifier may have taken it (and written the delivery) in between.
        if (await NotificationRequestStore.OpenTestAsync(connection, orgId, deliveryId, aborted) is { } test)
        {
            var rule = await NotificationRuleStore.GetAsync(connection, orgId, test.RuleId, aborted);
            return TypedResults.Ok(test.AsPendingDelivery(orgId, rule?.Channel));
        }
        return await DeliveryStore.GetAsync(connection, orgId, deliveryId, aborted) is { } taken
            ? TypedResults.Ok(taken)
            : Problems.NotFound("delivery", deliveryId);
    }

    /// <summary>
    /// Asks the notifier for a fresh round of attempts of a dead letter. The request commits with
    /// its audit event; the notifier, woken by it, revives the dead letter it saw (not one another
    /// request revived meanwhile) and sends it as it sends everything.
    /// </summary>
    public static async Task<Results<Accepted<DeliveryRequested>, ProblemHttpResult>> RedeliverAsync(
        HttpContext context, TenantTransaction tenant, string deliveryId)
    {
        var (connection, orgId, aborted) = (tenant.Connection, context.User.OrgId(), context.RequestAborted);
        if (await DeliveryStore.GetAsync(connection, orgId, deliveryId, aborted) is not { } delivery)
        {
            return Problems.NotFound("delivery", deliveryId);
        }
        if (Redelivery.Refusal(delivery) is { } refusal)
        {
            return Problems.Conflict("Only a dead letter can be redelivered", refusal);
        }
        var attempts = delivery.Attempts.Count;
        var trace = Activity.Current;
        if (!await NotificationRequestStore.RequestRedeliveryAsync(
            connection, orgId, deliveryId, attempts, context.User.Actor(), trace?.Id, trace?.TraceStateString, aborted))
        {
            return Problems.Conflict("Redelivery already asked for",
                $"A redelivery of delivery {deliveryId} was asked for already, and the notifier has not started it yet.");
        }
        var round = delivery.Attempts.Count > 0 ? delivery.Attempts[^1].Round : 1;
        await AuditTrail.RecordAsync(context, tenant, "delivery.redelivered", "delivery", deliveryId,
            before: new { status = DeliveryStatus.DeadLetter, round, attempts },
            after: new { status = DeliveryStatus.Pending, round = round + 1, attempts });
        return TypedResults.Accepted(Location(deliveryId), new DeliveryRequested(deliveryId));
    }
}
