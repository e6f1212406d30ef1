using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.EventLog;

/// <summary>
/// A log kept in an append-only Postgres table (the observation log, the signals, the incident
/// events), read through a <see cref="PostgresFeed{T}"/>, with its consumers' checkpoints in
/// <c>consumer_checkpoints</c>.
/// </summary>
public sealed class PostgresLog<T>(NpgsqlDataSource dataSource, PostgresFeedDefinition<T> definition, PostgresEventLogOptions? options = null) : IEventLog<T>
{
    private readonly string _describeSql = definition.JsonPayloadColumn is { } payload
        ? $"SELECT org_id, (to_jsonb(t) - '{payload}')::text, {payload} FROM {definition.Table} t WHERE tx_id = $1 AND seq = $2"
        : $"SELECT org_id, to_jsonb(t)::text FROM {definition.Table} t WHERE tx_id = $1 AND seq = $2";

    public async IAsyncEnumerable<LogPage<T>> SubscribeAsync(LogPosition after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in new PostgresFeed<T>(dataSource, definition, options).SubscribeAsync(after, cancellationToken))
        {
            yield return page;
        }
    }

    public Task<Checkpoint> LoadCheckpointAsync(string consumer, CancellationToken cancellationToken) =>
        Checkpoints.LoadAsync(dataSource, consumer, cancellationToken);

    public Task CommitCheckpointAsync(NpgsqlConnection connection, string consumer, Checkpoint checkpoint, CancellationToken cancellationToken) =>
        Checkpoints.CommitAsync(connection, consumer, checkpoint, cancellationToken);

    public async Task<EntryDescription> DescribeAsync(NpgsqlConnection connection, LogPosition position, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_describeSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = position.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = position.Seq });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new EntryDescription(null, """{"missing":true}""");
        }
        var orgId = reader.IsDBNull(0) ? null : reader.GetString(0);
        if (definition.JsonPayloadColumn is not { } column)
        {
            return new EntryDescription(orgId, reader.GetString(1));
        }
        var row = JsonNode.Parse(reader.GetString(1))!.AsObject();
        row[column] = reader.IsDBNull(2) ? null : PayloadNode(reader.GetFieldValue<byte[]>(2));
        return new EntryDescription(orgId, row.ToJsonString());
    }

    /// <summary>The payload as JSON when it is JSON (what ingest stores), else as base64: a damaged payload is what a dead letter most often holds.</summary>
    private static JsonNode? PayloadNode(byte[] payload)
    {
        try
        {
            return JsonNode.Parse(payload);
        }
        catch (JsonException)
        {
            return JsonValue.Create(new UTF8Encoding(false, throwOnInvalidBytes: false).GetString(payload));
        }
    }
}
