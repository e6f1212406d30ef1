using Analytics.AppHost;
using Analytics.Schemas;
using Analytics.Schemas.Settings;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres stands in for Supabase: a container, this machine's server, or an external one (Postgres:Mode).
var database = builder.AddAnalyticsDatabase();

var migrations = builder.AddMigrations<Projects.Analytics_Migrations>(ResourceNames.Migrations, database);

// Each service connects as a role of its own that owns nothing and cannot bypass row-level
// security (migration 0016); the migrations job, as the owner, gives each its password.
var apiDatabase = builder.AddDatabaseRole(database, migrations, DatabaseRoles.Api);
var rulesDatabase = builder.AddDatabaseRole(database, migrations, DatabaseRoles.Rules);

// People sign in here (Supabase's GoTrue endpoints) on local runs, dev-org's owner seeded; ingest
// and the API check its tokens, or those of the source in the AppHost's Auth section.
var identity = builder.AddAnalyticsService<Projects.Analytics_Identity>(
        ResourceNames.Identity, builder.AddDatabaseRole(database, migrations, DatabaseRoles.Identity), migrations)
    .WithIssuerUrl()
    .WithDevelopmentOwner()
    .WithExternalHttpEndpoints();

// Ingest writes the idle fallback's closes into the log; the rule services read Rules for lateness.
// Its background jobs serve every organization, so they connect as a role of their own. It and
// the API limit each organization's and key's requests (RateLimits).
var ingest = builder.AddAnalyticsService<Projects.Analytics_Ingest>(
        ResourceNames.Ingest, builder.AddDatabaseRole(database, migrations, DatabaseRoles.Ingest), migrations,
        RulesSettings.SectionName, SettingsSections.RateLimits)
    .WithReference(builder.AddDatabaseRole(database, migrations, DatabaseRoles.IngestHousekeeping), DatabaseRoles.HousekeepingConnectionName)
    .WithDevelopmentApiKey()
    .WithUserTokensFrom(identity);

// The consumers of the log also read Consumers, for when /health says degraded.
builder.AddLogConsumer<Projects.Analytics_Antitheft>(ResourceNames.Antitheft, rulesDatabase, migrations, RulesSettings.SectionName);
builder.AddLogConsumer<Projects.Analytics_Safety>(ResourceNames.Safety, rulesDatabase, migrations, RulesSettings.SectionName);
builder.AddLogConsumer<Projects.Analytics_Education>(ResourceNames.Education, rulesDatabase, migrations, RulesSettings.SectionName);

// Its correlations (Fusion:Correlations) reach the API too: they name kinds a silence may match.
builder.AddLogConsumer<Projects.Analytics_Fusion>(ResourceNames.Fusion, builder.AddDatabaseRole(database, migrations, DatabaseRoles.Fusion), migrations, SettingsSections.Fusion);

// Its SMTP server, quota and retry settings come from the AppHost's Notifier section.
builder.AddLogConsumer<Projects.Analytics_Notifier>(ResourceNames.Notifier, builder.AddDatabaseRole(database, migrations, DatabaseRoles.Notifier), migrations, SettingsSections.Notifier);

var api = builder.AddAnalyticsService<Projects.Analytics_Api>(ResourceNames.Api, apiDatabase, migrations, SettingsSections.Fusion, SettingsSections.RateLimits)
    .WithDevelopmentApiKey()
    .WithUserTokensFrom(identity)
    .WithExternalHttpEndpoints();

// Operators work here, in a browser: people sign in at the identity service and the console reads
// and acts only through the API, with their token. Its address is on the dashboard.
builder.AddConsole(api, identity);

// Scripted store, warehouse and classroom scenes streamed to ingest as dev-org, so a local run
// shows live signals within seconds. Tests start it only when they need it (Simulator:Enabled).
builder.AddSimulator(ingest, apiDatabase);

// One console line when everything is healthy, with the time it took.
builder.AddReadinessReport();

builder.Build().Run();
