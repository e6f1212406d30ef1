using Analytics.AppHost.Postgres;
using Analytics.Schemas;
using Microsoft.Extensions.Configuration;

namespace Analytics.AppHost;

public static class Extensions
{
    /// <summary>
    /// The platform's Postgres server and its <c>analytics</c> database, from the mode in
    /// <c>Postgres:Mode</c>. Publishing always describes the container, whatever this machine has.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddAnalyticsDatabase(this IDistributedApplicationBuilder builder)
    {
        var mode = builder.ExecutionContext.IsPublishMode
            ? PostgresMode.Container
            : PostgresEnvironment.Resolve(PostgresEnvironment.ReadMode(builder.Configuration), builder.Configuration);

        if (mode == PostgresMode.External)
        {
            if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ResourceNames.Database)))
            {
                throw new DistributedApplicationException(
                    $"{PostgresEnvironment.ModeKey} is 'external' but ConnectionStrings:{ResourceNames.Database} is not set.");
            }
            return builder.AddConnectionString(ResourceNames.Database);
        }

        // Generated once and kept in the AppHost's user secrets; 22 characters give 128 bits of entropy.
        var password = builder.AddParameter(
            $"{ResourceNames.Postgres}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false },
            secret: true,
            persist: true);

        if (mode == PostgresMode.Container)
        {
            var container = builder.AddPostgres(ResourceNames.Postgres, password: password).WithDataVolume();
            return container.AddDatabase(ResourceNames.Database);
        }

        var binDirectory = PostgresEnvironment.FindBinDirectory(builder.Configuration)
            ?? throw new DistributedApplicationException(
                $"{PostgresEnvironment.ModeKey} is 'local' but no PostgreSQL server binaries were found; install " +
                $"the PostgreSQL server (Debian: apt-get install postgresql) or set {PostgresEnvironment.BinDirectoryKey}.");
        var local = builder.AddLocalPostgres(ResourceNames.Postgres, password, binDirectory, PostgresEnvironment.DataDirectory(builder.Configuration));
        return local.AddDatabase(ResourceNames.Database);
    }
}
