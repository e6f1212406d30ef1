using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Dapper;
using Npgsql;

namespace Analytics.Data.Incidents;

/// <summary>
/// The owner of <c>silences</c>: written by operators through the API, consulted by fusion and
/// housekeeping whenever an incident change would notify. Ending a silence keeps it, expired.
/// </summary>
public static class SilenceStore
{
    /// <summary>The silences of these organizations in force at <paramref name="now"/>.</summary>
    public static async Task<List<Silence>> ActiveAsync(
        NpgsqlConnection connection, IReadOnlyCollection<string> orgIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (orgIds.Count == 0)
        {
            return [];
        }
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT document::text FROM silences WHERE org_id = ANY(@orgIds) AND starts_at <= @now AND ends_at > @now ORDER BY starts_at, silence_id",
            new { orgIds = orgIds.ToArray(), now }, cancellationToken: cancellationToken));
        return [.. documents.Select(Parse)];
    }

    /// <summary>The organization's silences, newest first: those still to end at <paramref name="now"/>, or all.</summary>
    public static async Task<Silence[]> ListAsync(NpgsqlConnection connection, string orgId, bool all, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT document::text FROM silences WHERE org_id = @orgId AND (@all OR ends_at > @now) ORDER BY starts_at DESC, silence_id",
            new { orgId, all, now }, cancellationToken: cancellationToken));
        return [.. documents.Select(Parse)];
    }

    public static async Task<Silence?> GetAsync(NpgsqlConnection connection, string orgId, string silenceId, CancellationToken cancellationToken)
    {
        var document = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT document::text FROM silences WHERE org_id = @orgId AND silence_id = @silenceId", new { orgId, silenceId }, cancellationToken: cancellationToken));
        return document is null ? null : Parse(document);
    }

    /// <summary>Creates or replaces a silence.</summary>
    public static async Task WriteAsync(NpgsqlConnection connection, Silence silence, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO silences (org_id, silence_id, starts_at, ends_at, document) VALUES (@OrgId, @SilenceId, @StartsAt, @EndsAt, @Document::jsonb)
            ON CONFLICT (org_id, silence_id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, document = excluded.document
            """,
            new
            {
                silence.OrgId,
                silence.SilenceId,
                silence.StartsAt,
                silence.EndsAt,
                Document = JsonSerializer.Serialize(silence, AnalyticsJsonContext.Default.Silence),
            },
            cancellationToken: cancellationToken));
    }

    private static Silence Parse(string document) => JsonSerializer.Deserialize(document, AnalyticsJsonContext.Default.Silence)!;
}
