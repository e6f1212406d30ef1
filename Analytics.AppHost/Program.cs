using Analytics.AppHost;
using Analytics.Schemas;
using Analytics.Schemas.Settings;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres stands in for Supabase: a container, this machine's server, or an external one (Postgres:Mode).
var database = builder.AddAnalyticsDatabase();

var migrations = builder.AddMigrations<Projects.Analytics_Migrations>(ResourceNames.Migrations, database);

// People sign in here (Supabase's GoTrue endpoints) on local runs, dev-org's owner seeded; ingest
// and the API check its tokens, or those of the source in the AppHost's Auth section.
var identity = builder.AddAnalyticsService<Projects.Analytics_Identity>(ResourceNames.Identity, database, migrations)
    .WithIssuerUrl()
    .WithDevelopmentOwner()
    .WithExternalHttpEndpoints();

// Ingest writes the idle fallback's closes into the log; the rule services read Rules for lateness.
var ingest = builder.AddAnalyticsService<Projects.Analytics_Ingest>(ResourceNames.Ingest, database, migrations, RulesSettings.SectionName)
    .WithDevelopmentApiKey()
    .WithUserTokensFrom(identity);

// The consumers of the log also read Consumers, for when /health says degraded.
builder.AddLogConsumer<Projects.Analytics_Antitheft>(ResourceNames.Antitheft, database, migrations, RulesSettings.SectionName);
builder.AddLogConsumer<Projects.Analytics_Safety>(ResourceNames.Safety, database, migrations, RulesSettings.SectionName);
builder.AddLogConsumer<Projects.Analytics_Education>(ResourceNames.Education, database, migrations, RulesSettings.SectionName);

// Its correlations (Fusion:Correlations) reach the API too: they name kinds a silence may match.
builder.AddLogConsumer<Projects.Analytics_Fusion>(ResourceNames.Fusion, database, migrations, SettingsSections.Fusion);

// Its SMTP server, quota and retry settings come from the AppHost's Notifier section.
builder.AddLogConsumer<Projects.Analytics_Notifier>(ResourceNames.Notifier, database, migrations, SettingsSections.Notifier);

builder.AddAnalyticsService<Projects.Analytics_Api>(ResourceNames.Api, database, migrations, SettingsSections.Fusion)
    .WithDevelopmentApiKey()
    .WithUserTokensFrom(identity)
    .WithExternalHttpEndpoints();

// Scripted store, warehouse and classroom scenes streamed to ingest as dev-org, so a local run
// shows live signals within seconds. Tests start it only when they need it (Simulator:Enabled).
builder.AddSimulator(ingest, database);

// One console line when everything is healthy, with the time it took.
builder.AddReadinessReport();

builder.Build().Run();
