using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Data.Audit;

/// <summary>
/// One audit event: who did what to which thing, when, and the thing before and after as JSON
/// (null where it did not exist, or for a read).
/// </summary>
public sealed record AuditEvent
{
    public Guid EventId { get; init; }
    public string OrgId { get; init; } = "";
    public DateTimeOffset At { get; init; }
    public string Actor { get; init; } = "";
    public string Action { get; init; } = "";
    public string TargetType { get; init; } = "";
    public string TargetId { get; init; } = "";
    public string? Before { get; init; }
    public string? After { get; init; }
    public string? TraceId { get; init; }
}

/// <summary>Which events to list: by actor, target and time, newest first, after a keyset position.</summary>
public sealed record AuditFilter(
    string OrgId,
    string? Actor,
    string? TargetType,
    string? TargetId,
    DateTimeOffset? From,
    DateTimeOffset? To,
    (DateTimeOffset At, Guid EventId)? After,
    int Limit);

/// <summary>
/// The owner of <c>audit_events</c>, which is append-only (migration 0021): events are written in
/// the transaction of the change they record, so a change and its record commit or fail together.
/// </summary>
public static class AuditStore
{
    public static async Task AppendAsync(NpgsqlConnection connection, AuditEvent e, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO audit_events (org_id, event_id, actor, action, target_type, target_id, before, after, trace_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = e.OrgId });
        command.Parameters.Add(new NpgsqlParameter { Value = e.EventId });
        command.Parameters.Add(new NpgsqlParameter { Value = e.Actor });
        command.Parameters.Add(new NpgsqlParameter { Value = e.Action });
        command.Parameters.Add(new NpgsqlParameter { Value = e.TargetType });
        command.Parameters.Add(new NpgsqlParameter { Value = e.TargetId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)e.After ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)e.TraceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<List<AuditEvent>> ListAsync(NpgsqlConnection connection, AuditFilter filter, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<AuditEvent>(new CommandDefinition(
            """
            SELECT event_id, org_id, at, actor, action, target_type, target_id, before::text AS before, after::text AS after, trace_id
            FROM audit_events
            WHERE org_id = @orgId
              AND (@actor::text IS NULL OR actor = @actor)
              AND (@targetType::text IS NULL OR target_type = @targetType)
              AND (@targetId::text IS NULL OR target_id = @targetId)
              AND (@from::timestamptz IS NULL OR at >= @from)
              AND (@to::timestamptz IS NULL OR at < @to)
              AND (@afterAt::timestamptz IS NULL OR (at, event_id) < (@afterAt, @afterId))
            ORDER BY at DESC, event_id DESC
            LIMIT @limit
            """,
            new
            {
                orgId = filter.OrgId,
                actor = filter.Actor,
                targetType = filter.TargetType,
                targetId = filter.TargetId,
                from = filter.From,
                to = filter.To,
                afterAt = filter.After?.At,
                afterId = filter.After?.EventId,
                limit = filter.Limit,
            },
            cancellationToken: cancellationToken))).AsList();
}
