using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;

namespace Analytics.Rules.Hosting;

/// <summary>
/// The zones of every organization, as a <see cref="ZoneCatalog"/> that is replaced when the zones
/// table changes, so edits reach the rules without a restart. The change check is one cheap
/// query per page of the log: a zone saved before its observations were sent is always applied
/// to them (a time-based refresh let a fresh zone miss the first seconds of its camera).
/// </summary>
public sealed class ZoneSource(NpgsqlDataSource dataSource)
{
    private ZoneCatalog _catalog = new([]);
    private (long Count, DateTime? LastUpdate) _version = (-1, null);

    public async ValueTask<ZoneCatalog> CurrentAsync(CancellationToken cancellationToken)
    {
        await using var versionCommand = dataSource.CreateCommand("SELECT count(*), max(updated_at) FROM zones");
        await using (var reader = await versionCommand.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            var version = (reader.GetInt64(0), reader.IsDBNull(1) ? (DateTime?)null : reader.GetDateTime(1));
            if (version == _version)
            {
                return _catalog;
            }
            _version = version;
        }

        var zones = new List<Zone>();
        await using var load = dataSource.CreateCommand("SELECT document::text FROM zones");
        await using (var reader = await load.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                zones.Add(JsonSerializer.Deserialize(reader.GetString(0), AnalyticsJsonContext.Default.Zone)!);
            }
        }
        _catalog = new ZoneCatalog(zones);
        return _catalog;
    }
}
