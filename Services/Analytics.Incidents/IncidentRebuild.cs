using System.Text.Json;
using Analytics.Schemas.Serialization;
using Npgsql;

namespace Analytics.Incidents;

/// <summary>
/// Recomputes the incident projection from the incident events alone, proving the events are the
/// record and the tables only a view of them (and repairing the view if it is ever lost).
/// </summary>
public static class IncidentRebuild
{
    private const int BatchSize = 500;

    /// <summary>
    /// Empties <paramref name="incidentsTable"/> (shaped like <c>incidents</c>) and fills it from
    /// <c>incident_events</c>, inside the caller's transaction. Rebuilding the live tables needs fusion and the API stopped
    /// or the tables locked, or their writes would race the rebuild.
    /// </summary>
    /// <returns>How many incidents were rebuilt.</returns>
    public static async Task<int> RebuildAsync(NpgsqlConnection connection, string incidentsTable, CancellationToken cancellationToken)
    {
        await using (var truncate = new NpgsqlCommand($"TRUNCATE {incidentsTable}", connection))
        {
            await truncate.ExecuteNonQueryAsync(cancellationToken);
        }

        var states = new List<IncidentState>();
        await using (var command = new NpgsqlCommand("SELECT document::text FROM incident_events ORDER BY org_id, incident_id, version", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            IncidentState? current = null;
            while (await reader.ReadAsync(cancellationToken))
            {
                var e = JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.IncidentEvent)!;
                if (current is not null && (current.OrgId != e.OrgId || current.IncidentId != e.IncidentId))
                {
                    states.Add(current);
                    current = null;
                }
                current = IncidentProjection.Apply(current, e);
            }
            if (current is not null)
            {
                states.Add(current);
            }
        }

        foreach (var chunk in states.Chunk(BatchSize))
        {
            await IncidentStore.WriteProjectionAsync(connection, incidentsTable, chunk, cancellationToken);
        }
        return states.Count;
    }
}
