using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Analytics.AppHost.Postgres;

public static class LocalPostgresBuilderExtensions
{
    /// <summary>
    /// Runs the PostgreSQL server binaries in <paramref name="binDirectory"/> on a free loopback
    /// port with a persistent data folder, through <c>postgres-local.sh</c> beside this project.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder,
        string name,
        IResourceBuilder<ParameterResource> password,
        string binDirectory,
        string dataDirectory)
    {
        var server = new LocalPostgresServerResource(name, builder.AppHostDirectory, password.Resource);
        var port = FreeLoopbackPort();

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, ct) =>
            connectionString = await server.ConnectionStringExpression.GetValueAsync(ct));

        // Databases are created once the server answers, the way Aspire's container resource does it.
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, ct) =>
        {
            var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            await using var connection = new NpgsqlConnection(connectionString + ";Database=postgres");
            await connection.OpenAsync(ct);
            foreach (var database in server.Databases.Values)
            {
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
                exists.Parameters.Add(new NpgsqlParameter { Value = database });
                if (await exists.ExecuteScalarAsync(ct) is not null)
                {
                    continue;
                }
                var quoted = new NpgsqlCommandBuilder().QuoteIdentifier(database);
                await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
                await create.ExecuteNonQueryAsync(ct);
                logger.LogInformation("Created database {Database}", database);
            }
        });

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => (connectionString ?? throw new InvalidOperationException("The connection string is not known yet")) + ";Database=postgres",
            name: healthCheckKey);

        // Not proxied: the hot path talks to the server directly, without a userspace hop.
        return builder.AddResource(server)
            .WithEndpoint(LocalPostgresServerResource.PrimaryEndpointName, e =>
            {
                e.UriScheme = "tcp";
                e.Port = port;
                e.TargetPort = port;
                e.IsProxied = false;
            })
            .WithArgs("postgres-local.sh", binDirectory, dataDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("POSTGRES_PASSWORD", password)
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheckKey);
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, string name, string? databaseName = null)
    {
        databaseName ??= name;
        server.Resource.Databases[name] = databaseName;
        var database = new LocalPostgresDatabaseResource(name, databaseName, server.Resource);

        string? connectionString = null;
        server.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(database, async (_, ct) =>
            connectionString = await database.ConnectionStringExpression.GetValueAsync(ct));

        var healthCheckKey = $"{name}_check";
        server.ApplicationBuilder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException("The connection string is not known yet"),
            name: healthCheckKey);

        // Aspire hands a parent's state down to its children only for containers; for this
        // executable the database says it runs once the server is ready and the database exists.
        server.ApplicationBuilder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, (@event, _) =>
            @event.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            }));

        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new(CustomResourceKnownProperties.Source, databaseName)],
            })
            .WithHealthCheck(healthCheckKey);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
