using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Rules.Hosting;

/// <summary>A signal with the trace of the observation that completed it.</summary>
public sealed record TracedSignal(Signal Signal, string? TraceParent, string? TraceState);

/// <summary>Writes signals idempotently: a signal id already stored is left as it is.</summary>
public static class SignalStore
{
    public const string Channel = "signals";

    public static async Task<int> InsertAsync(NpgsqlConnection connection, IReadOnlyList<TracedSignal> signals, CancellationToken cancellationToken)
    {
        if (signals.Count == 0)
        {
            return 0;
        }
        await using var batch = new NpgsqlBatch(connection);
        foreach (var (signal, traceParent, traceState) in signals)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                """
                INSERT INTO signals (org_id, signal_id, domain, kind, severity, confidence, site_id, camera_id, zone_id,
                                     track_ids, started_at, ended_at, document, trace_parent, trace_state)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15)
                ON CONFLICT (org_id, signal_id) DO NOTHING
                """)
            {
                Parameters =
                {
                    new() { Value = signal.OrgId },
                    new() { Value = signal.Id },
                    new() { Value = JsonNamingPolicy.CamelCase.ConvertName(signal.Domain.ToString()) },
                    new() { Value = signal.Kind },
                    new() { Value = JsonNamingPolicy.CamelCase.ConvertName(signal.Severity.ToString()) },
                    new() { Value = signal.Confidence },
                    new() { Value = signal.SiteId },
                    new() { Value = signal.CameraId },
                    new() { Value = (object?)signal.ZoneId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = signal.TrackIds.ToArray() },
                    new() { Value = signal.StartedAt },
                    new() { Value = signal.EndedAt },
                    new() { Value = JsonSerializer.Serialize(signal, AnalyticsJsonContext.Default.Signal) },
                    new() { Value = (object?)traceParent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = (object?)traceState ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                },
            });
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', '')"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return signals.Count;
    }
}
