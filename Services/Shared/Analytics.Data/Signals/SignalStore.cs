using System.Text.Json;
using Analytics.EventLog;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Data.Signals;

/// <summary>A stored signal with the trace of the observation that completed it.</summary>
public sealed record StoredSignal(Signal Signal, string? TraceParent, string? TraceState);

/// <summary>A signal with the trace of the observation that completed it.</summary>
public sealed record TracedSignal(Signal Signal, string? TraceParent, string? TraceState);

/// <summary>
/// The owner of <c>signals</c>. Written idempotently by the rule services (a signal id already
/// stored is left as it is, so re-reading the log after a crash inserts nothing twice), read in log
/// order by fusion's feed and as evidence by the API.
/// </summary>
public static class SignalStore
{
    private static readonly Evidence NoEvidence = new() { Measurements = new Dictionary<string, double>() };

    // The columns fusion decides on, not the JSON document: a page of thousands of signals is read
    // without parsing any JSON.
    private static readonly PostgresFeedDefinition<StoredSignal> Feed = new(
        "signals",
        Channel,
        "org_id, signal_id, domain, kind, severity, confidence, site_id, camera_id, zone_id, started_at, ended_at, trace_parent, trace_state",
        (reader, _) => new StoredSignal(
            new Signal
            {
                OrgId = reader.GetString(2),
                Id = reader.GetString(3),
                Domain = Wire.Parse<Domain>(reader.GetString(4)),
                Kind = reader.GetString(5),
                Severity = Wire.Parse<Severity>(reader.GetString(6)),
                Confidence = reader.GetDouble(7),
                SiteId = reader.GetString(8),
                CameraId = reader.GetString(9),
                ZoneId = reader.IsDBNull(10) ? null : reader.GetString(10),
                StartedAt = reader.GetFieldValue<DateTimeOffset>(11),
                EndedAt = reader.GetFieldValue<DateTimeOffset>(12),
                // Fusion needs neither; the API reads them from the stored document.
                TrackIds = [],
                Evidence = NoEvidence,
                SchemaVersion = EventTypes.CurrentVersion.Signal,
            },
            reader.IsDBNull(13) ? null : reader.GetString(13),
            reader.IsDBNull(14) ? null : reader.GetString(14)));

    /// <summary>The signals as a log, in the order they committed: what fusion reads.</summary>
    public static IEventLog<StoredSignal> Log(NpgsqlDataSource dataSource, PostgresEventLogOptions? options = null) =>
        new PostgresLog<StoredSignal>(dataSource, Feed, options);

    /// <summary>NOTIFY channel that wakes fusion when signals were stored.</summary>
    public const string Channel = "signals";

    /// <summary>Stores <paramref name="signals"/> in one round trip inside the caller's transaction; returns how many were offered.</summary>
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

    /// <summary>
    /// The stored signals of <paramref name="signalIds"/>, in that order (repeats included); ids the
    /// organization has no signal for are left out.
    /// </summary>
    public static async Task<List<Signal>> InOrderAsync(NpgsqlConnection connection, string orgId, IReadOnlyList<string> signalIds, CancellationToken cancellationToken)
    {
        if (signalIds.Count == 0)
        {
            return [];
        }
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT s.document::text FROM unnest(@signalIds::text[]) WITH ORDINALITY AS a (signal_id, n)
            JOIN signals s ON s.org_id = @orgId AND s.signal_id = a.signal_id
            ORDER BY a.n
            """, new { orgId, signalIds = signalIds.ToArray() }, cancellationToken: cancellationToken));
        return [.. documents.Select(document => JsonSerializer.Deserialize(document, AnalyticsJsonContext.Default.Signal)!)];
    }
}
