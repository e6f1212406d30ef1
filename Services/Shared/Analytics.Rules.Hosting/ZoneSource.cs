using Analytics.Data.Registry;
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
        var version = await RegistryStore.ZonesVersionAsync(dataSource, cancellationToken);
        if (version == _version)
        {
            return _catalog;
        }
        _version = version;
        _catalog = new ZoneCatalog(await RegistryStore.AllZonesAsync(dataSource, cancellationToken));
        return _catalog;
    }
}
