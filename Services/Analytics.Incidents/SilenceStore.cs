using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;

namespace Analytics.Incidents;

/// <summary>Silences as fusion consults them when an incident change would notify.</summary>
public static class SilenceStore
{
    /// <summary>The silences of these organizations in force at <paramref name="now"/>.</summary>
    public static async Task<List<Silence>> ActiveAsync(
        NpgsqlConnection connection, IReadOnlyCollection<string> orgIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var silences = new List<Silence>();
        if (orgIds.Count == 0)
        {
            return silences;
        }
        await using var command = new NpgsqlCommand(
            "SELECT document::text FROM silences WHERE org_id = ANY($1) AND starts_at <= $2 AND ends_at > $2 ORDER BY starts_at, silence_id", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = orgIds.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            silences.Add(JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.Silence)!);
        }
        return silences;
    }

    /// <summary>The first silence that mutes <paramref name="incident"/> at <paramref name="now"/>, if any.</summary>
    public static string? Matching(IEnumerable<Silence> silences, IncidentState incident, DateTimeOffset now) =>
        silences.FirstOrDefault(s => s.OrgId == incident.OrgId && s.Matches(incident.SiteId, incident.CameraId, incident.ZoneId, incident.Kind, now))?.SilenceId;
}
