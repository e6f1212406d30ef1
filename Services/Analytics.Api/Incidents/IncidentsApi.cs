using System.Globalization;
using System.Text.Json;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
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

    public static IEndpointRouteBuilder MapIncidentsApi(this IEndpointRouteBuilder app)
    {
        var incidents = app.MapGroup("/v1/incidents").WithTags("Incidents").RequireAuthorization();

        incidents.MapGet("/", ListAsync).WithName("ListIncidents").WithSummary("The organization's incidents, newest first, filtered and paged");
        incidents.MapGet("/{incidentId}", GetAsync).WithName("GetIncident").WithSummary("One incident with its evidence chain and history");
        incidents.MapPost("/{incidentId}/acknowledge", AcknowledgeAsync).WithName("AcknowledgeIncident")
            .WithSummary("Acknowledge: someone is on it; repeat notifications stop");
        incidents.MapPost("/{incidentId}/resolve", ResolveAsync).WithName("ResolveIncident").WithSummary("Resolve the incident");
        incidents.MapPost("/{incidentId}/comments", CommentAsync).WithName("CommentOnIncident").WithSummary("Add a comment to the incident's history");
        return app;
    }

    public static async Task<Results<Ok<IncidentPage>, ProblemHttpResult>> ListAsync(
        HttpContext context, NpgsqlDataSource dataSource,
        string? status, string? domain, string? kind, string? siteId, string? cameraId, string? zoneId, string? minSeverity,
        int? limit, string? cursor)
    {
        var errors = new List<ValidationProblem>();
        var statusFilter = ListQuery.Filter<IncidentStatus>(status, "status", errors);
        var domainFilter = ListQuery.Filter<Domain>(domain, "domain", errors);
        var severityFilter = ListQuery.Filter<Severity>(minSeverity, "minSeverity", errors);
        var (pageSize, after) = ListQuery.Page(limit, cursor, DefaultLimit, MaxLimit, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid("query", errors);
        }

        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {IncidentStore.StateColumns} FROM incidents
            WHERE org_id = $1
              AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR domain = $3) AND ($4::text IS NULL OR kind = $4)
              AND ($5::text IS NULL OR site_id = $5) AND ($6::text IS NULL OR camera_id = $6) AND ($7::text IS NULL OR zone_id = $7)
              AND ($8::int IS NULL OR severity_rank >= $8)
              AND ($9::timestamptz IS NULL OR (opened_at, incident_id) < ($9, $10))
            ORDER BY opened_at DESC, incident_id DESC
            LIMIT $11
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(Text(statusFilter is { } s ? Wire.Name(s) : null));
        command.Parameters.Add(Text(domainFilter is { } d ? Wire.Name(d) : null));
        command.Parameters.Add(Text(kind));
        command.Parameters.Add(Text(siteId));
        command.Parameters.Add(Text(cameraId));
        command.Parameters.Add(Text(zoneId));
        command.Parameters.Add(new NpgsqlParameter { Value = severityFilter is { } v ? (int)v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = after is { } a ? a.At : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Text(after?.Id));
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize + 1 });

        var states = new List<IncidentState>();
        await using (var reader = await command.ExecuteReaderAsync(context.RequestAborted))
        {
            while (await reader.ReadAsync(context.RequestAborted))
            {
                states.Add(IncidentStore.Read(reader));
            }
        }
        var more = states.Count > pageSize;
        if (more)
        {
            states.RemoveAt(states.Count - 1);
        }
        var signalIds = await SignalIdsAsync(dataSource, context.User.OrgId(), states.Select(s => s.IncidentId).ToArray(), context.RequestAborted);
        var items = states.Select(s => s.ToContract(signalIds.GetValueOrDefault(s.IncidentId, []))).ToList();
        return TypedResults.Ok(new IncidentPage(items, more ? KeysetCursor.Of(states[^1].OpenedAt, states[^1].IncidentId) : null));
    }

    public static async Task<Results<Ok<IncidentDetail>, ProblemHttpResult>> GetAsync(HttpContext context, NpgsqlDataSource dataSource, string incidentId)
    {
        var orgId = context.User.OrgId();
        await using var connection = await dataSource.OpenConnectionAsync(context.RequestAborted);
        IncidentState? state;
        await using (var command = new NpgsqlCommand($"SELECT {IncidentStore.StateColumns} FROM incidents WHERE org_id = $1 AND incident_id = $2", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = orgId });
            command.Parameters.Add(new NpgsqlParameter { Value = incidentId });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            state = await reader.ReadAsync(context.RequestAborted) ? IncidentStore.Read(reader) : null;
        }
        if (state is null)
        {
            return Problems.NotFound("incident", incidentId);
        }

        var evidence = new List<Signal>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT s.document::text FROM incident_events e
            CROSS JOIN LATERAL unnest(e.signal_ids) WITH ORDINALITY AS a (signal_id, n)
            JOIN signals s ON s.org_id = e.org_id AND s.signal_id = a.signal_id
            WHERE e.org_id = $1 AND e.incident_id = $2 AND e.signal_ids IS NOT NULL
            ORDER BY e.version, a.n
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = orgId });
            command.Parameters.Add(new NpgsqlParameter { Value = incidentId });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            while (await reader.ReadAsync(context.RequestAborted))
            {
                evidence.Add(JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.Signal)!);
            }
        }

        var history = new List<IncidentEvent>();
        await using (var command = new NpgsqlCommand(
            "SELECT document::text FROM incident_events WHERE org_id = $1 AND incident_id = $2 ORDER BY version", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = orgId });
            command.Parameters.Add(new NpgsqlParameter { Value = incidentId });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            while (await reader.ReadAsync(context.RequestAborted))
            {
                history.Add(JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.IncidentEvent)!);
            }
        }

        return TypedResults.Ok(new IncidentDetail(
            state.ToContract(evidence.Select(s => s.Id).ToList()), state.Resolution, state.SilenceId, state.Annotation, evidence, history));
    }

    public static Task<Results<Ok<Incident>, ProblemHttpResult>> AcknowledgeAsync(
        HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock, string incidentId, OperatorNote? note) =>
        ActAsync(context, dataSource, clock, incidentId, note, IncidentEventType.Acknowledged, incident => incident.Status switch
        {
            IncidentStatus.Open => null,
            IncidentStatus.Acknowledged => Unchanged,
            _ => "A resolved incident cannot be acknowledged; it reopens by itself when matching signals return.",
        });

    public static Task<Results<Ok<Incident>, ProblemHttpResult>> ResolveAsync(
        HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock, string incidentId, OperatorNote? note) =>
        ActAsync(context, dataSource, clock, incidentId, note, IncidentEventType.Resolved,
            incident => incident.Status == IncidentStatus.Resolved ? Unchanged : null);

    public static async Task<Results<Created<Incident>, Ok<Incident>, ProblemHttpResult>> CommentAsync(
        HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock, string incidentId, OperatorNote note)
    {
        if (string.IsNullOrWhiteSpace(note.Comment))
        {
            return Problems.Invalid("comment", "$.comment", "is required");
        }
        var result = await ActAsync(context, dataSource, clock, incidentId, note, IncidentEventType.Comment, _ => null);
        return result.Result switch
        {
            Ok<Incident> ok => TypedResults.Created($"/v1/incidents/{Uri.EscapeDataString(incidentId)}", ok.Value),
            ProblemHttpResult problem => problem,
            _ => throw new InvalidOperationException("unexpected result"),
        };
    }

    /// <summary>Marks a repeated action as done already: answered with the incident as it is, nothing appended.</summary>
    private const string Unchanged = "";

    /// <summary>
    /// Appends one operator event under a row lock, so it cannot interleave with fusion growing
    /// the same incident. <paramref name="refusal"/> says why the action does not apply to the
    /// incident as it is (null when it does, <see cref="Unchanged"/> when it is already done).
    /// </summary>
    private static async Task<Results<Ok<Incident>, ProblemHttpResult>> ActAsync(
        HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock, string incidentId, OperatorNote? note,
        IncidentEventType type, Func<IncidentState, string?> refusal)
    {
        if (note?.Comment is { Length: > MaxCommentLength } tooLong)
        {
            return Problems.Invalid("request", [new ValidationProblem("$.comment", string.Create(CultureInfo.InvariantCulture, $"must be at most {MaxCommentLength} characters, was {tooLong.Length}"))]);
        }
        var orgId = context.User.OrgId();
        await using var connection = await dataSource.OpenConnectionAsync(context.RequestAborted);
        await using var transaction = await connection.BeginTransactionAsync(context.RequestAborted);
        var incident = await IncidentStore.LoadForUpdateAsync(connection, orgId, incidentId, context.RequestAborted);
        if (incident is null)
        {
            return Problems.NotFound("incident", incidentId);
        }
        switch (refusal(incident))
        {
            case Unchanged:
                return TypedResults.Ok(await ContractAsync(connection, incident, context.RequestAborted));
            case { } reason:
                return Problems.Conflict("The incident is not in a state for that", reason);
        }

        var e = new IncidentEvent
        {
            IncidentId = incident.IncidentId,
            OrgId = orgId,
            Version = incident.Version + 1,
            Type = type,
            At = clock.GetUtcNow(),
            Actor = context.User.Actor(),
            Reason = type == IncidentEventType.Resolved ? "resolved by an operator" : null,
            Comment = string.IsNullOrWhiteSpace(note?.Comment) ? null : note.Comment,
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        };
        var next = IncidentProjection.Apply(incident, e);
        await IncidentStore.AppendAsync(connection, [new TracedIncidentEvent(e, System.Diagnostics.Activity.Current?.Id)], [next], context.RequestAborted);
        await transaction.CommitAsync(context.RequestAborted);
        return TypedResults.Ok(await ContractAsync(connection, next, context.RequestAborted));
    }

    private static async Task<Incident> ContractAsync(NpgsqlConnection connection, IncidentState state, CancellationToken cancellationToken)
    {
        var ids = await SignalIdsAsync(connection, state.OrgId, [state.IncidentId], cancellationToken);
        return state.ToContract(ids.GetValueOrDefault(state.IncidentId, []));
    }

    private static async Task<Dictionary<string, List<string>>> SignalIdsAsync(
        NpgsqlDataSource dataSource, string orgId, string[] incidentIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await SignalIdsAsync(connection, orgId, incidentIds, cancellationToken);
    }

    private static async Task<Dictionary<string, List<string>>> SignalIdsAsync(
        NpgsqlConnection connection, string orgId, string[] incidentIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(
            """
            SELECT e.incident_id, a.signal_id FROM incident_events e
            CROSS JOIN LATERAL unnest(e.signal_ids) WITH ORDINALITY AS a (signal_id, n)
            WHERE e.org_id = $1 AND e.incident_id = ANY($2) AND e.signal_ids IS NOT NULL
            ORDER BY e.incident_id, e.version, a.n
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = incidentIds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            if (!result.TryGetValue(id, out var list))
            {
                result[id] = list = [];
            }
            list.Add(reader.GetString(1));
        }
        return result;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
