using Analytics.AppHost.Postgres;
using Analytics.Schemas;
using Analytics.Schemas.Settings;
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

    /// <summary>
    /// The migrations job: applies the schema once the database is up, then exits. Every service
    /// waits for it to complete (<see cref="AddAnalyticsService{TProject}"/>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddMigrations<TProject>(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<IResourceWithConnectionString> database)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name)
            .WithServiceImage(JobImageStage)
            .WithReference(database)
            .WaitFor(database);

    /// <summary>
    /// The database as <paramref name="role"/> (one of <see cref="DatabaseRoles"/>) connects to it:
    /// the owner's connection string with the role's name and password instead. The password is
    /// generated once and kept in the AppHost's user secrets; the migrations job sets it on the role.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddDatabaseRole(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<IResourceWithConnectionString> database,
        IResourceBuilder<ProjectResource> migrations,
        string role)
    {
        var name = role.Replace('_', '-');
        var password = builder.AddParameter($"{name}-password", new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);
        migrations.WithEnvironment($"DatabaseRoles__Passwords__{role}", password);
        // A later key of a connection string replaces an earlier one, whatever the server's mode.
        return builder.AddConnectionString(name, ReferenceExpression.Create($"{database.Resource};Username={role};Password={password.Resource}"));
    }

    /// <summary>
    /// A service of the platform as every one is run: its image for deployments, the database (as
    /// the service's own role, see <see cref="AddDatabaseRole"/>), started once the migrations completed, healthy when <c>/health</c> says so, and the AppHost's
    /// configuration under each of <paramref name="settings"/> passed on (<see cref="WithSettingsSection"/>).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddAnalyticsService<TProject>(
        this IDistributedApplicationBuilder builder,
        string name,
        IResourceBuilder<IResourceWithConnectionString> database,
        IResourceBuilder<ProjectResource> migrations,
        params string[] settings)
        where TProject : IProjectMetadata, new()
    {
        var service = builder.AddProject<TProject>(name)
            .WithServiceImage()
            .WithReference(database, ResourceNames.Database).WaitForCompletion(migrations)
            .WithHttpHealthCheck("/health");
        foreach (var section in settings)
        {
            service.WithSettingsSection(section);
        }
        return service;
    }

    /// <summary>
    /// A checkpointed consumer of the log (a rule service, fusion, the notifier): a service that also
    /// reads the <c>Consumers</c> section, which says when its lag or restarts turn <c>/health</c> degraded.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddLogConsumer<TProject>(
        this IDistributedApplicationBuilder builder,
        string name,
        IResourceBuilder<IResourceWithConnectionString> database,
        IResourceBuilder<ProjectResource> migrations,
        params string[] settings)
        where TProject : IProjectMetadata, new() =>
        builder.AddAnalyticsService<TProject>(name, database, migrations, [.. settings, SettingsSections.Consumers]);

    /// <summary>
    /// The operators' console: no database of its own, only the API and the sign-in service (the
    /// identity service's GoTrue endpoints, or those of the source in the AppHost's Console section),
    /// healthy when <c>/health</c> says so, reachable from outside. It starts beside them rather than
    /// after: it calls them only when someone uses a page, and a page says so if they are not up yet.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddConsole(
        this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource> identity) =>
        builder.AddProject<Projects.Analytics_Console>(ResourceNames.Console)
            .WithServiceImage()
            .WithReference(api)
            .WithReference(identity)
            .WithSettingsSection(SettingsSections.Console)
            .WithHttpHealthCheck("/health")
            .WithExternalHttpEndpoints();

    /// <summary>The stages of the repository's <c>Dockerfile</c>: a web service's image, and the migrations job's.</summary>
    public const string ServiceImageStage = "service";
    public const string JobImageStage = "job";

    /// <summary>
    /// In publish mode, describes the service as the image the repository's one <c>Dockerfile</c>
    /// builds for it (from the repository root, with the service's project folder and assembly as
    /// build arguments, as docker compose passes them), so manifest-based tooling deploys the same
    /// hardened image as docker compose: non-root, chiseled, with a health check unless it is the
    /// job. Local runs are unchanged.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceImage(this IResourceBuilder<ProjectResource> service, string stage = ServiceImageStage)
    {
        var project = service.Resource.GetProjectMetadata().ProjectPath;
        var repositoryRoot = Path.GetFullPath(Path.Combine(service.ApplicationBuilder.AppHostDirectory, ".."));
        var projectFolder = Path.GetRelativePath(repositoryRoot, Path.GetDirectoryName(project)!).Replace('\\', '/');
        return service.PublishAsDockerFile(container => container
            .WithDockerfile(repositoryRoot, Path.Combine(repositoryRoot, "Dockerfile"), stage)
            .WithBuildArg("SERVICE_PROJECT", projectFolder)
            .WithBuildArg("SERVICE_ASSEMBLY", Path.GetFileNameWithoutExtension(project)));
    }

    public const string DevelopmentOrgId = "dev-org";

    /// <summary>
    /// In a local run, seeds one API key for the organization <c>dev-org</c> so edge simulators and
    /// a developer's curl work at once. The key is the <c>dev-api-key</c> parameter: generated on
    /// first run, kept in the AppHost's user secrets, shown on the dashboard's Parameters tab.
    /// Deployments seed nothing.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDevelopmentApiKey(this IResourceBuilder<ProjectResource> service)
    {
        var builder = service.ApplicationBuilder;
        if (!builder.ExecutionContext.IsRunMode)
        {
            return service;
        }
        var key = DevelopmentApiKey(builder);
        return service
            .WithEnvironment("ApiKeys__Seed__0__OrgId", DevelopmentOrgId)
            .WithEnvironment("ApiKeys__Seed__0__Key", key)
            .WithEnvironment("ApiKeys__Seed__0__Name", "development");
    }

    public const string DevelopmentApiKeyParameter = "dev-api-key";

    /// <summary>
    /// Passes the AppHost's own configuration under <paramref name="section"/> (appsettings,
    /// <c>Notifier__Smtp__Host</c> in its environment, <c>--Notifier:Smtp:Port=2525</c> on its
    /// command line) to the service as environment variables, so a deployment's mail server or a
    /// test's quota reaches the service without a parameter for every key. Nothing configured,
    /// nothing passed: the service's defaults apply and the manifest stays as it is.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSettingsSection(this IResourceBuilder<ProjectResource> service, string section)
    {
        foreach (var (key, value) in service.ApplicationBuilder.Configuration.GetSection(section).AsEnumerable())
        {
            if (value is not null)
            {
                service.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }
        return service;
    }

    public const string DevelopmentOwnerEmailParameter = "dev-owner-email";
    public const string DevelopmentOwnerPasswordParameter = "dev-owner-password";

    /// <summary>
    /// In a local run, the identity service creates an owner of <c>dev-org</c> who can sign in at
    /// once: the e-mail is the <c>dev-owner-email</c> parameter (owner@dev-org.local unless set), the
    /// password <c>dev-owner-password</c>, generated on first run and kept in the AppHost's user
    /// secrets like the dev API key; both on the dashboard's Parameters tab. Deployments seed nobody.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDevelopmentOwner(this IResourceBuilder<ProjectResource> identity)
    {
        var builder = identity.ApplicationBuilder;
        if (!builder.ExecutionContext.IsRunMode)
        {
            return identity;
        }
        // A value given to AddParameter would win over Parameters:dev-owner-email; the configured one must.
        var email = builder.AddParameter(
            DevelopmentOwnerEmailParameter, builder.Configuration[$"Parameters:{DevelopmentOwnerEmailParameter}"] ?? "owner@dev-org.local");
        var password = builder.AddParameter(
            DevelopmentOwnerPasswordParameter, new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);
        return identity
            .WithEnvironment("Identity__Seed__0__OrgId", DevelopmentOrgId)
            .WithEnvironment("Identity__Seed__0__Email", email)
            .WithEnvironment("Identity__Seed__0__Password", password)
            .WithEnvironment("Identity__Seed__0__OrgRole", "owner");
    }

    /// <summary>The identity service names itself by its own endpoint in the tokens it issues (Identity:Issuer), as Supabase's GoTrue does.</summary>
    public static IResourceBuilder<ProjectResource> WithIssuerUrl(this IResourceBuilder<ProjectResource> identity) =>
        identity.WithEnvironment("Identity__Issuer", IssuerOf(identity));

    /// <summary>
    /// Ingest and the API accept people's access tokens besides API keys: from the identity service
    /// (Auth:Mode Local, its issuer and JWKS URL), unless the AppHost's own configuration names
    /// another source in its Auth section (a Supabase project, an OpenID Connect issuer), which is
    /// then passed on as it is.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithUserTokensFrom(this IResourceBuilder<ProjectResource> service, IResourceBuilder<ProjectResource> identity)
    {
        if (!string.IsNullOrEmpty(service.ApplicationBuilder.Configuration[$"{SettingsSections.Auth}:Mode"]))
        {
            return service.WithSettingsSection(SettingsSections.Auth);
        }
        var endpoint = identity.GetEndpoint("http");
        return service
            .WithEnvironment("Auth__Mode", "Local")
            .WithEnvironment("Auth__Issuer", IssuerOf(identity))
            .WithEnvironment("Auth__JwksUrl", ReferenceExpression.Create($"{endpoint}/auth/v1/.well-known/jwks.json"));
    }

    private static ReferenceExpression IssuerOf(IResourceBuilder<ProjectResource> identity) =>
        ReferenceExpression.Create($"{identity.GetEndpoint("http")}/auth/v1");

    private static IResourceBuilder<ParameterResource> DevelopmentApiKey(IDistributedApplicationBuilder builder) =>
        builder.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == DevelopmentApiKeyParameter) is { } existing
            ? builder.CreateResourceBuilder(existing)
            : builder.AddParameter(DevelopmentApiKeyParameter, new GenerateParameterDefault { MinLength = 43, Special = false }, secret: true, persist: true);

    /// <summary>
    /// The scene simulator, in local runs only (it is no part of a deployment). It streams as
    /// <c>dev-org</c> with the development key and creates its scenes' zones. With
    /// <c>Simulator:Enabled=false</c> it is added but waits for an explicit start.
    /// </summary>
    public static void AddSimulator(
        this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> ingest, IResourceBuilder<IResourceWithConnectionString> database)
    {
        if (!builder.ExecutionContext.IsRunMode)
        {
            return;
        }
        var simulator = builder.AddProject<Projects.Analytics_Simulator>(ResourceNames.Simulator)
            .WithReference(database, ResourceNames.Database)
            .WithReference(ingest).WaitFor(ingest)
            .WithEnvironment("Simulator__OrgId", DevelopmentOrgId)
            .WithEnvironment("Simulator__ApiKey", DevelopmentApiKey(builder));
        if (!builder.Configuration.GetValue("Simulator:Enabled", true))
        {
            simulator.WithExplicitStart();
        }
    }
}
