using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Incidents;

/// <summary>
/// Recomputes the incident projection from the incident events alone, proving the events are the
/// record and the tables only a view of them (and repairing the view if it is ever lost).
/// </summary>
public static class IncidentRebuild
{
    private const int BatchSize = 500;

    /// <summary>
    /// Empties <paramref name="incidentsTable"/> and <paramref name="signalsTable"/> (shaped like
    /// <c>incidents</c> and <c>incident_signals</c>) and fills them from <c>incident_events</c>,
    /// inside the caller's transaction. Rebuilding the live tables needs fusion and the API stopped
    /// or the tables locked, or their writes would race the rebuild.
    /// </summary>
    /// <returns>How many incidents were rebuilt.</returns>
    public static async Task<int> RebuildAsync(NpgsqlConnection connection, string incidentsTable, string signalsTable, CancellationToken cancellationToken)
    {
        await using (var truncate = new NpgsqlCommand($"TRUNCATE {incidentsTable}, {signalsTable}", connection))
        {
            await truncate.ExecuteNonQueryAsync(cancellationToken);
        }

        var states = new List<IncidentState>();
        var attachments = new List<IncidentEvent>();
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
                if (e.SignalId is not null && e.Type is IncidentEventType.Opened or IncidentEventType.SignalAttached)
                {
                    attachments.Add(e);
                }
            }
            if (current is not null)
            {
                states.Add(current);
            }
        }

        foreach (var chunk in states.Chunk(BatchSize))
        {
            await using var batch = new NpgsqlBatch(connection);
            foreach (var state in chunk)
            {
                batch.BatchCommands.Add(IncidentStore.Upsert(incidentsTable, state));
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var writer = await connection.BeginBinaryImportAsync(
            $"COPY {signalsTable} (org_id, signal_id, incident_id, attached_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var e in attachments)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(e.OrgId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.SignalId!, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.IncidentId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, cancellationToken);
            }
            await writer.CompleteAsync(cancellationToken);
        }
        return states.Count;
    }
}
