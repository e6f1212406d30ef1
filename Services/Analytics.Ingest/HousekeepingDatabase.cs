using Analytics.Schemas;
using Npgsql;

namespace Analytics.Ingest;

/// <summary>
/// Ingest's background jobs (closing idle cameras, retention) serve every organization, which the
/// role of its requests may not (row-level security, migration 0016): they connect as a role of
/// their own, <see cref="DatabaseRoles.IngestHousekeeping"/>, from
/// <c>ConnectionStrings:analytics-housekeeping</c>. Without that connection string they share the
/// requests' data source, whose role must then be allowed both (the owner, in a single-role setup).
/// </summary>
public static class HousekeepingDatabase
{
    public const string Key = DatabaseRoles.HousekeepingConnectionName;

    public static TBuilder AddHousekeepingDataSource<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(Key)))
        {
            builder.Services.AddKeyedSingleton(Key, (services, _) => services.GetRequiredService<NpgsqlDataSource>());
        }
        else
        {
            builder.AddKeyedAnalyticsDataSource(Key);
        }
        return builder;
    }
}
