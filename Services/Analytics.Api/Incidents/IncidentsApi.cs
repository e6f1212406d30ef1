using System.Globalization;
using Analytics.Data.Incidents;
using Analytics.Data.Signals;
using Analytics.Incidents;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api.Incidents;

/// <summary>One page of incidents, newest first; pass <see cref="NextCursor"/> back for the next page.</summary>
public sealed record IncidentPage(IReadOnlyList<Incident> Items, string? NextCursor);

/// <summary>
/// An incident with everything an operator needs to judge it: the signals that formed it, in the
/// order they joined, and its whole history.
/// </summary>
public sealed record IncidentDetail(
    Incident Incident,
    string? Resolution,
    string? SilenceId,
    string? Annotation,
    IReadOnlyList<Signal> Evidence,
    IReadOnlyList<IncidentEvent> History);

/// <summary>
/// The incident list's query: filters by status, domain, kind, place and least severity, and the
/// page (<c>limit</c>, <c>cursor</c>). Enum filters arrive as text, so a bad one is named in the 400.
/// </summary>
public sealed record IncidentListQuery(
    [FromQuery(Name = "status")] string? Status,
    [FromQuery(Name = "domain")] string? Domain,
    [FromQuery(Name = "kind")] string? Kind,
    [FromQuery(Name = "siteId")] string? SiteId,
    [FromQuery(Name = "cameraId")] string? CameraId,
    [FromQuery(Name = "zoneId")] string? ZoneId,
    [FromQuery(Name = "minSeverity")] string? MinSeverity,
    [FromQuery(Name = "limit")] int? Limit,
    [FromQuery(Name = "cursor")] string? Cursor)
{
    /// <summary>The filters the list shares with the counts.</summary>
    public IncidentFilterQuery Filters() => new(Domain, Kind, SiteId, CameraId, ZoneId, MinSeverity);
}

/// <summary>
/// The filters of the incident list without its status and page: what the counts take, read and
/// checked by the same code as the list's, so both refuse the same values with the same 400.
/// </summary>
public sealed record IncidentFilterQuery(
    [FromQuery(Name = "domain")] string? Domain,
    [FromQuery(Name = "kind")] string? Kind,
    [FromQuery(Name = "siteId")] string? SiteId,
    [FromQuery(Name = "cameraId")] string? CameraId,
    [FromQuery(Name = "zoneId")] string? ZoneId,
    [FromQuery(Name = "minSeverity")] string? MinSeverity)
{
    /// <summary>
    /// The caller's criteria: its organization, these filters and its site limit; each bad filter
    /// is added to <paramref name="errors"/> under its name.
    /// </summary>
    internal IncidentCriteria Criteria(System.Security.Claims.ClaimsPrincipal caller, List<ValidationProblem> errors) => new(
        caller.OrgId(),
        ListQuery.Filter<Domain>(Domain, "domain", errors),
        Kind,
        SiteId,
        CameraId,
        ZoneId,
        ListQuery.Filter<Severity>(MinSeverity, "minSeverity", errors),
        caller.SiteLimit());
}

/// <summary>What an operator says when acknowledging, resolving or commenting.</summary>
public sealed record OperatorNote(string? Comment = null);

/// <summary>
/// The caller's incidents: list with filters and keyset paging, read one with its evidence and
/// history, and act on it. Every action is an event appended to the incident's history under the
/// caller's key fingerprint; the incident row is the projection of those events.
/// </summary>
public static class IncidentsApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;
    private const int MaxCommentLength = 4000;

    /// <summary>Inferring pupils' affect is restricted by law in many places, so every read of it is on the record.</summary>
    private const string EducationRead = "education.read";

    public static IEndpointRouteBuilder MapIncidentsApi(this IEndpointRouteBuilder app)
    {
        var incidents = app.MapGroup("/v1/incidents").RequireAuthorization().WithTenantTransaction()
            .WithTag("Incidents",
                "What a person must look at: signals fused into incidents, with their evidence chain and history, and the operator's actions on them.");

        incidents.MapGet("/", ListAsync).WithName("ListIncidents").WithSummary("The organization's incidents, newest first, filtered and paged")
            .RequirePermission(Permission.Read);
        incidents.MapGet("/{incidentId}", GetAsync).WithName("GetIncident").WithSummary("One incident with its evidence chain and history")
            .RequirePermission(Permission.Read)
            .ProducesProblem(StatusCodes.Status404NotFound);
        incidents.MapPost("/{incidentId}/acknowledge", AcknowledgeAsync).WithName("AcknowledgeIncident")
            .WithSummary("Acknowledge: someone is on it; repeat notifications stop")
            .RequirePermission(Permission.Act)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithProblem(StatusCodes.Status409Conflict, "The incident is resolved, and a resolved incident cannot be acknowledged. Nothing was changed.");
        incidents.MapPost("/{incidentId}/resolve", ResolveAsync).WithName("ResolveIncident").WithSummary("Resolve the incident")
            .RequirePermission(Permission.Act)
            .ProducesProblem(StatusCodes.Status404NotFound);
        incidents.MapPost("/{incidentId}/comments", CommentAsync).WithName("CommentOnIncident").WithSummary("Add a comment to the incident's history")
            .RequirePermission(Permission.Act)
            .ProducesProblem(StatusCodes.Status404NotFound);
        incidents.MapGet("/counts", CountAsync).WithName("CountIncidents")
            .WithSummary("How many incidents are open, acknowledged and resolved, with the list's filters: the inbox tabs")
            .RequirePermission(Permission.Read)
            .WithProblem(StatusCodes.Status400BadRequest, "A filter the incident list would refuse too (an unknown `domain` or `minSeverity`); `errors` names each. Nothing was counted.");
        incidents.MapGet("/overview", OverviewAsync).WithName("GetIncidentOverview")
            .WithSummary("Incidents opened in the last hours (default 24, at most 168), per site and kind, in hourly buckets for a chart")
            .RequirePermission(Permission.Read)
            .WithProblem(StatusCodes.Status400BadRequest, "`hours` is not a whole number from 1 to 168; `errors` says so under `$.hours`.");
        // Outside the group's tenant transaction: a stream lives for minutes and holds no connection.
        app.MapGet("/v1/incidents/changes", StreamChanges).WithName("StreamIncidentChanges").WithTags("Incidents")
            .WithSummary("Server-sent events: an 'incident' event for every incident opened or changed, a 'ready' event first, 'resync' when changes were lost, 'heartbeat' every 15 s")
            .RequirePermission(Permission.Read);
        return app;
    }

    /// <summary>How often an idle stream says it is alive, so proxies and clients do not time it out.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The caller's incident changes as they happen, for screens that update without a reload: an
    /// <c>incident</c> event names the incident to read again. <c>ready</c> comes first, once the
    /// subscription is live; <c>resync</c> means changes were lost and everything should be read again.
    /// </summary>
    public static ServerSentEventsResult<IncidentChange?> StreamChanges(HttpContext context, IncidentChangeFeed feed) =>
        TypedResults.ServerSentEvents(ChangesAsync(feed.Subscribe(context.User.OrgId(), context.User.SiteLimit()), context.RequestAborted));

    private static async IAsyncEnumerable<System.Net.ServerSentEvents.SseItem<IncidentChange?>> ChangesAsync(
        IncidentChangeFeed.Subscription subscription, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var _ = subscription;
        yield return new(null, "ready");
        while (!cancellationToken.IsCancellationRequested)
        {
            using var beat = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            beat.CancelAfter(HeartbeatInterval);
            var woken = false;
            try
            {
                woken = await subscription.Reader.WaitToReadAsync(beat.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
            if (!woken)
            {
                yield return new(null, "heartbeat");
                continue;
            }
            while (subscription.Reader.TryRead(out var change))
            {
                if (change is not null)
                {
                    yield return new(change, "incident");
                }
            }
            if (subscription.Resync)
            {
                subscription.Resync = false;
                yield return new(null, "resync");
            }
        }
    }

    public static async Task<Results<Ok<IncidentPage>, ProblemHttpResult>> ListAsync(
        HttpContext context, TenantTransaction tenant, [AsParameters] IncidentListQuery query)
    {
        var errors = new List<ValidationProblem>();
        var statusFilter = ListQuery.Filter<IncidentStatus>(query.Status, "status", errors);
        var criteria = query.Filters().Criteria(context.User, errors);
        var (pageSize, after) = ListQuery.Page(query.Limit, query.Cursor, DefaultLimit, MaxLimit, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid("query", errors);
        }

        var orgId = context.User.OrgId();
        var states = await IncidentStore.ListAsync(tenant.Connection, new IncidentFilter(
            criteria, statusFilter, after is { } a ? (a.At, a.Id) : null, pageSize + 1), context.RequestAborted);
        var more = states.Count > pageSize;
        if (more)
        {
            states.RemoveAt(states.Count - 1);
        }
        if (states.Where(s => s.Domain == Domain.Education).Select(s => s.IncidentId).ToArray() is { Length: > 0 } education)
        {
            await AuditTrail.RecordAsync(context, tenant, EducationRead, "incidents", "list", after: new { incidentIds = education });
        }
        var signalIds = await IncidentStore.SignalIdsAsync(tenant.Connection, orgId, [.. states.Select(s => s.IncidentId)], context.RequestAborted);
        var items = states.Select(s => s.ToContract(signalIds.GetValueOrDefault(s.IncidentId, []))).ToList();
        return TypedResults.Ok(new IncidentPage(items, more ? KeysetCursor.Of(states[^1].OpenedAt, states[^1].IncidentId) : null));
    }

    /// <summary>
    /// How many of the caller's incidents are in each status, matched as <see cref="ListAsync"/>
    /// matches them (the same filters, the same site limit). Counts name no incident, so unlike a
    /// list that shows education incidents they are not an education read for the audit trail.
    /// </summary>
    public static async Task<Results<Ok<IncidentCounts>, ProblemHttpResult>> CountAsync(
        HttpContext context, TenantTransaction tenant, [AsParameters] IncidentFilterQuery query)
    {
        var errors = new List<ValidationProblem>();
        var criteria = query.Criteria(context.User, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid("query", errors);
        }
        return TypedResults.Ok(await IncidentStore.CountByStatusAsync(tenant.Connection, criteria, context.RequestAborted));
    }

    /// <summary>
    /// The caller's incidents opened in the last <paramref name="hours"/> (<see cref="OverviewWindow"/>),
    /// per site and kind and per hour, for a chart; a caller limited to sites sees only its sites.
    /// </summary>
    public static async Task<Results<Ok<IncidentOverview>, ProblemHttpResult>> OverviewAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, [FromQuery(Name = "hours")] int? hours)
    {
        var span = hours ?? OverviewWindow.DefaultHours;
        if (span is < OverviewWindow.MinHours or > OverviewWindow.MaxHours)
        {
            return Problems.Invalid("query", "$.hours", string.Create(CultureInfo.InvariantCulture,
                $"must be between {OverviewWindow.MinHours} and {OverviewWindow.MaxHours}, was {span}"));
        }
        var window = OverviewWindow.Ending(clock.GetUtcNow(), span);
        var opened = await IncidentStore.OpenedPerBucketAsync(
            tenant.Connection, context.User.OrgId(), window.From, window.To, OverviewWindow.Bucket, context.User.SiteLimit(), context.RequestAborted);
        return TypedResults.Ok(window.Chart(opened));
    }

    public static async Task<Results<Ok<IncidentDetail>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, string incidentId)
    {
        var orgId = context.User.OrgId();
        var connection = tenant.Connection;
        if (await IncidentStore.LoadAsync(connection, orgId, incidentId, context.RequestAborted) is not { } state
            || !context.User.MayReach(state.SiteId))
        {
            return Problems.NotFound("incident", incidentId);
        }
        var signalIds = await IncidentStore.SignalIdsAsync(connection, orgId, [incidentId], context.RequestAborted);
        var evidence = await SignalStore.InOrderAsync(connection, orgId, signalIds.GetValueOrDefault(incidentId, []), context.RequestAborted);
        var history = await IncidentStore.HistoryAsync(connection, orgId, incidentId, context.RequestAborted);
        if (state.Domain == Domain.Education)
        {
            await AuditTrail.RecordAsync(context, tenant, EducationRead, "incident", incidentId, after: new { signalIds = evidence.Select(s => s.Id) });
        }
        return TypedResults.Ok(new IncidentDetail(
            state.ToContract(evidence.Select(s => s.Id).ToList()), state.Resolution, state.SilenceId, state.Annotation, evidence, history));
    }

    public static Task<Results<Ok<Incident>, ProblemHttpResult>> AcknowledgeAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, string incidentId, OperatorNote? note) =>
        ActAsync(context, tenant, incidentId, note, "incident.acknowledged", (incident, actor) => incident.Acknowledge(actor, clock.GetUtcNow(), note?.Comment));

    public static Task<Results<Ok<Incident>, ProblemHttpResult>> ResolveAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, string incidentId, OperatorNote? note) =>
        ActAsync(context, tenant, incidentId, note, "incident.resolved", (incident, actor) => incident.Resolve(actor, clock.GetUtcNow(), note?.Comment));

    public static async Task<Results<Created<Incident>, ProblemHttpResult>> CommentAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, string incidentId, OperatorNote note)
    {
        if (string.IsNullOrWhiteSpace(note.Comment))
        {
            return Problems.Invalid("comment", "$.comment", "is required");
        }
        var result = await ActAsync(context, tenant, incidentId, note, "incident.commented", (incident, actor) => incident.Comment(actor, clock.GetUtcNow(), note.Comment));
        return result.Result switch
        {
            Ok<Incident> ok => TypedResults.Created($"/v1/incidents/{Uri.EscapeDataString(incidentId)}", ok.Value),
            ProblemHttpResult problem => problem,
            _ => throw new InvalidOperationException("unexpected result"),
        };
    }

    /// <summary>
    /// Loads the incident under a row lock, so the action cannot interleave with fusion growing the
    /// same incident, lets the incident decide (<paramref name="transition"/>), and appends the
    /// event it gives, in the request's transaction; a refusal is a 409, an action already done
    /// answers the incident as it is.
    /// </summary>
    private static async Task<Results<Ok<Incident>, ProblemHttpResult>> ActAsync(
        HttpContext context, TenantTransaction tenant, string incidentId, OperatorNote? note, string action,
        Func<IncidentState, string, IncidentTransition> transition)
    {
        if (note?.Comment is { Length: > MaxCommentLength } tooLong)
        {
            return Problems.Invalid("request", [new ValidationProblem("$.comment", string.Create(CultureInfo.InvariantCulture, $"must be at most {MaxCommentLength} characters, was {tooLong.Length}"))]);
        }
        var orgId = context.User.OrgId();
        var connection = tenant.Connection;
        if (await IncidentStore.LoadForUpdateAsync(connection, orgId, incidentId, context.RequestAborted) is not { } incident
            || !context.User.MayReach(incident.SiteId))
        {
            return Problems.NotFound("incident", incidentId);
        }
        switch (transition(incident, context.User.Actor()))
        {
            case IncidentTransition.Unchanged:
                return TypedResults.Ok(await ContractAsync(connection, incident, context.RequestAborted));
            case IncidentTransition.Refused refused:
                return Problems.Conflict("The incident is not in a state for that", refused.Reason);
            case IncidentTransition.Append(var e, var next):
                await IncidentStore.AppendAsync(connection, [new TracedIncidentEvent(e, System.Diagnostics.Activity.Current?.Id)], [next], context.RequestAborted);
                await AuditTrail.RecordAsync(context, tenant, action, "incident", incidentId,
                    new { status = incident.Status }, new { status = next.Status, comment = note?.Comment });
                return TypedResults.Ok(await ContractAsync(connection, next, context.RequestAborted));
            default:
                throw new InvalidOperationException("unexpected transition");
        }
    }

    private static async Task<Incident> ContractAsync(NpgsqlConnection connection, IncidentState state, CancellationToken cancellationToken)
    {
        var ids = await IncidentStore.SignalIdsAsync(connection, state.OrgId, [state.IncidentId], cancellationToken);
        return state.ToContract(ids.GetValueOrDefault(state.IncidentId, []));
    }
}
