using System.Data.Common;
using Analytics.Schemas;
using Analytics.Schemas.Settings;
using Npgsql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
            dataSource => Shape(dataSource, settings, settings.ConnectionString, builder.Environment.ApplicationName));
        builder.Services.AddHostedService<SupabaseProjectReport>();
        return builder;
    }

    /// <summary>
    /// A second data source of the same database from <c>ConnectionStrings:&lt;connectionName&gt;</c>
    /// (the database as another role), shaped like the service's own and resolved with
    /// <c>[FromKeyedServices(connectionName)]</c>. Call after <see cref="AddAnalyticsDataSource"/>.
    /// </summary>
    public static TBuilder AddKeyedAnalyticsDataSource<TBuilder>(this TBuilder builder, string connectionName) where TBuilder : IHostApplicationBuilder
    {
        var settings = builder.ReadBeforeValidation<SupabaseSettings>(SupabaseSettings.SectionName, ApplyInjectedConnectionString);
        var connectionString = builder.Configuration.GetConnectionString(connectionName) ?? string.Empty;
        builder.AddKeyedNpgsqlDataSource(
            connectionName,
            configureDataSourceBuilder: dataSource => Shape(dataSource, settings, connectionString, builder.Environment.ApplicationName));
        return builder;
    }

    private static void Shape(NpgsqlDataSourceBuilder dataSource, SupabaseSettings settings, string connectionString, string applicationName)
    {
        dataSource.ConnectionStringBuilder.MinPoolSize = settings.MinPoolSize;
        dataSource.ConnectionStringBuilder.MaxPoolSize = settings.MaxPoolSize;
        dataSource.ConnectionStringBuilder.CommandTimeout = settings.CommandTimeoutSeconds;
        dataSource.ConnectionStringBuilder.ApplicationName ??= applicationName;
        // Log pages and COPY rounds are hundreds of kilobytes: with the 8 KB default every
        // few rows cost a socket call and a thread-pool hop.
        dataSource.ConnectionStringBuilder.ReadBufferSize = Math.Max(dataSource.ConnectionStringBuilder.ReadBufferSize, 64 * 1024);
        dataSource.ConnectionStringBuilder.WriteBufferSize = Math.Max(dataSource.ConnectionStringBuilder.WriteBufferSize, 64 * 1024);
        // Every service runs a handful of statements over and over (a log page, a checkpoint,
        // a claim); unprepared, Postgres parses and plans each one again, and planning a read
        // of the partitioned log costs about as much as reading a small page of it.
        // An explicit "Max Auto Prepare" (0 behind a pooler without prepared statements) stands.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }
        // A pooled session keeps its temporary tables: the staging tables that carry COPY
        // into tables under row-level security (StagingTable) are made once per session,
        // not once per transaction, which would churn the catalog at ingest's commit rate.
        // Nothing else is left behind: the organization of a request is set per
        // transaction, and open transactions are still rolled back when a connection closes.
        dataSource.ConnectionStringBuilder.NoResetOnClose = true;
    }

    private static void ApplyInjectedConnectionString(SupabaseSettings settings, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            settings.ConnectionString = configuration.GetConnectionString(ResourceNames.Database) ?? string.Empty;
        }
    }
}

/// <summary>
/// Says at start-up which Supabase project the service was pointed at (never the key itself), so
/// an operator can see that <c>SUPABASE_URL</c> and <c>SUPABASE_KEY</c>, or their platform names, arrived.
/// </summary>
internal sealed partial class SupabaseProjectReport(IOptions<SupabaseSettings> settings, ILogger<SupabaseProjectReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Value.Url is { Length: > 0 } url)
        {
            LogProject(url, string.IsNullOrEmpty(settings.Value.Key) ? "no API key" : "an API key");
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Supabase project {Url}, with {KeyState}")]
    private partial void LogProject(string url, string keyState);
}
