using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api.Notifications;

/// <summary>One page of the delivery log, newest decision first; pass <see cref="NextCursor"/> back for the next page.</summary>
public sealed record DeliveryPage(IReadOnlyList<Delivery> Items, string? NextCursor);

/// <summary>
/// The caller's delivery log: every notification decision with its reason (sent, retried, dead
/// letter, suppressed by a silence, an acknowledgement, quiet hours or the cooldown, folded into a
/// digest, or no rule matched) and every attempt. It answers "why was I (not) notified?".
/// </summary>
public static class DeliveriesApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    private const string Columns =
        "delivery_id, org_id, kind, status, reason, incident_id, event_version, transition, event_at, rule_id, channel, silence_id, digest_id, " +
        "idempotency_key, decided_at, next_attempt_at, sent_at, trace_parent";

    public static IEndpointRouteBuilder MapDeliveriesApi(this IEndpointRouteBuilder app)
    {
        var deliveries = app.MapGroup("/v1/deliveries").WithTags("Deliveries").RequireAuthorization();

        deliveries.MapGet("/", ListAsync).WithName("ListDeliveries")
            .WithSummary("The delivery log, newest first, by incident, rule, status or digest, paged");
        deliveries.MapGet("/{deliveryId}", GetAsync).WithName("GetDelivery").WithSummary("One delivery with its attempts");
        return app;
    }

    public static async Task<Results<Ok<DeliveryPage>, ProblemHttpResult>> ListAsync(
        HttpContext context, NpgsqlDataSource dataSource, string? incidentId, string? ruleId, string? status, string? digestId, int? limit, string? cursor)
    {
        var errors = new List<ValidationProblem>();
        var statusFilter = ListQuery.Filter<DeliveryStatus>(status, "status", errors);
        var (pageSize, after) = ListQuery.Page(limit, cursor, DefaultLimit, MaxLimit, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid("query", errors);
        }

        await using var connection = await dataSource.OpenConnectionAsync(context.RequestAborted);
        await using var command = new NpgsqlCommand(
            $"""
            SELECT {Columns} FROM deliveries
            WHERE org_id = $1 AND ($2::text IS NULL OR incident_id = $2) AND ($3::text IS NULL OR rule_id = $3)
              AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR digest_id = $5)
              AND ($6::timestamptz IS NULL OR (decided_at, delivery_id) < ($6, $7))
            ORDER BY decided_at DESC, delivery_id DESC
            LIMIT $8
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(Text(incidentId));
        command.Parameters.Add(Text(ruleId));
        command.Parameters.Add(Text(statusFilter is { } s ? Wire.Name(s) : null));
        command.Parameters.Add(Text(digestId));
        command.Parameters.Add(new NpgsqlParameter { Value = after is { } a ? a.At : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Text(after?.Id));
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize + 1 });
        var items = await ReadAsync(connection, command, context.RequestAborted);
        var more = items.Count > pageSize;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }
        return TypedResults.Ok(new DeliveryPage(items, more ? KeysetCursor.Of(items[^1].DecidedAt, items[^1].DeliveryId) : null));
    }

    public static async Task<Results<Ok<Delivery>, ProblemHttpResult>> GetAsync(HttpContext context, NpgsqlDataSource dataSource, string deliveryId)
    {
        await using var connection = await dataSource.OpenConnectionAsync(context.RequestAborted);
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM deliveries WHERE org_id = $1 AND delivery_id = $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(new NpgsqlParameter { Value = deliveryId });
        var items = await ReadAsync(connection, command, context.RequestAborted);
        return items.Count == 1 ? TypedResults.Ok(items[0]) : Problems.NotFound("delivery", deliveryId);
    }

    /// <summary>The deliveries <paramref name="command"/> selects (with <see cref="Columns"/>), each with its attempts.</summary>
    private static async Task<List<Delivery>> ReadAsync(NpgsqlConnection connection, NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var items = new List<Delivery>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new Delivery
                {
                    DeliveryId = reader.GetString(0),
                    OrgId = reader.GetString(1),
                    Kind = Wire.Parse<DeliveryKind>(reader.GetString(2)),
                    Status = Wire.Parse<DeliveryStatus>(reader.GetString(3)),
                    Reason = reader.GetString(4),
                    IncidentId = reader.IsDBNull(5) ? null : reader.GetString(5),
                    EventVersion = reader.IsDBNull(6) ? null : reader.GetInt32(6),
                    Transition = reader.IsDBNull(7) ? null : Wire.Parse<IncidentEventType>(reader.GetString(7)),
                    EventAt = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                    RuleId = reader.IsDBNull(9) ? null : reader.GetString(9),
                    Channel = reader.IsDBNull(10) ? null : Wire.Parse<NotificationChannel>(reader.GetString(10)),
                    SilenceId = reader.IsDBNull(11) ? null : reader.GetString(11),
                    DigestId = reader.IsDBNull(12) ? null : reader.GetString(12),
                    // Nothing is sent for a decision that suppressed it, so its key means nothing to anyone.
                    IdempotencyKey = reader.GetString(3) is "pending" or "retrying" or "sent" or "dead_letter" ? reader.GetString(13) : null,
                    DecidedAt = reader.GetFieldValue<DateTimeOffset>(14),
                    NextAttemptAt = reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15),
                    SentAt = reader.IsDBNull(16) ? null : reader.GetFieldValue<DateTimeOffset>(16),
                    TraceParent = reader.IsDBNull(17) ? null : reader.GetString(17),
                    Attempts = [],
                });
            }
        }
        if (items.Count == 0)
        {
            return items;
        }

        var attempts = new Dictionary<string, List<DeliveryAttempt>>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand(
            """
            SELECT delivery_id, attempt, outcome, started_at, finished_at, http_status, error FROM delivery_attempts
            WHERE org_id = $1 AND delivery_id = ANY($2) ORDER BY delivery_id, attempt
            """,
            connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = items[0].OrgId });
            read.Parameters.Add(new NpgsqlParameter { Value = items.Select(i => i.DeliveryId).ToArray() });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                if (!attempts.TryGetValue(id, out var list))
                {
                    attempts[id] = list = [];
                }
                list.Add(new DeliveryAttempt
                {
                    Attempt = reader.GetInt32(1),
                    Outcome = Wire.Parse<AttemptOutcome>(reader.GetString(2)),
                    StartedAt = reader.GetFieldValue<DateTimeOffset>(3),
                    FinishedAt = reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                    HttpStatus = reader.IsDBNull(5) ? null : reader.GetInt32(5),
                    Error = reader.IsDBNull(6) ? null : reader.GetString(6),
                });
            }
        }
        return [.. items.Select(i => attempts.TryGetValue(i.DeliveryId, out var list) ? i with { Attempts = list } : i)];
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
