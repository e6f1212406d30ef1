using Analytics.Schemas;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

public static class AnalyticsDatabase
{
    /// <summary>
    /// The platform database as an <c>NpgsqlDataSource</c> (Aspire.Npgsql: pooling, health check,
    /// tracing, metrics), shaped by the validated <see cref="SupabaseSettings"/>. An explicit
    /// <c>Supabase:ConnectionString</c> wins; otherwise the one the AppHost injects is used.
    /// </summary>
    public static TBuilder AddAnalyticsDataSource<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddValidatedSettings<SupabaseSettings>(SupabaseSettings.SectionName, ApplyInjectedConnectionString);

        // The data source is configured while the host is built; invalid values are reported by
        // the start-up validation above before anything opens a connection.
        var settings = builder.ReadBeforeValidation<SupabaseSettings>(SupabaseSettings.SectionName, ApplyInjectedConnectionString);

        builder.AddNpgsqlDataSource(
            ResourceNames.Database,
            npgsql => npgsql.ConnectionString = settings.ConnectionString,
            dataSource =>
            {
                dataSource.ConnectionStringBuilder.MinPoolSize = settings.MinPoolSize;
                dataSource.ConnectionStringBuilder.MaxPoolSize = settings.MaxPoolSize;
                dataSource.ConnectionStringBuilder.CommandTimeout = settings.CommandTimeoutSeconds;
                dataSource.ConnectionStringBuilder.ApplicationName ??= builder.Environment.ApplicationName;
            });
        return builder;
    }

    private static void ApplyInjectedConnectionString(SupabaseSettings settings, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            settings.ConnectionString = configuration.GetConnectionString(ResourceNames.Database) ?? string.Empty;
        }
    }
}
