using Analytics.AppHost;
using Analytics.Schemas;
using Analytics.Schemas.Settings;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres stands in for Supabase: a container, this machine's server, or an external one (Postgres:Mode).
var database = builder.AddAnalyticsDatabase();

var migrations = builder.AddProject<Projects.Analytics_Migrations>(ResourceNames.Migrations)
    .WithServiceImage()
    .WithReference(database)
    .WaitFor(database);

// Ingest writes the idle fallback's closes into the log; the rule services read Rules for lateness.
// The consumers (rule services, fusion, notifier) read Consumers for when /health says degraded.
var ingest = builder.AddProject<Projects.Analytics_Ingest>(ResourceNames.Ingest)
    .WithServiceImage()
    .WithReference(database).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithDevelopmentApiKey()
    .WithSettingsSection(RulesSettings.SectionName);

builder.AddProject<Projects.Analytics_Antitheft>(ResourceNames.Antitheft)
    .WithServiceImage()
    .WithReference(database).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithSettingsSection(RulesSettings.SectionName)
    .WithSettingsSection(ConsumerSettings.SectionName);

builder.AddProject<Projects.Analytics_Safety>(ResourceNames.Safety)
    .WithServiceImage()
    .WithReference(database).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithSettingsSection(RulesSettings.SectionName)
    .WithSettingsSection(ConsumerSettings.SectionName);

builder.AddProject<Projects.Analytics_Education>(ResourceNames.Education)
    .WithServiceImage()
    .WithReference(database).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithSettingsSection(RulesSettings.SectionName)
    .WithSettingsSection(ConsumerSettings.SectionName);

// Its correlations (Fusion:Correlations) reach the API too: they name kinds a silence may match.
builder.AddProject<Projects.Analytics_Fusion>(ResourceNames.Fusion)
    .WithServiceImage()
    .WithReference(database).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithSettingsSection(FusionSettings.SectionName)
    .WithSettingsSection(ConsumerSettings.SectionName);

// Its SMTP server, quota and retry settings come from the AppHost's Notifier section.
builder.AddProject<Projects.Analytics_Notifier>(ResourceNames.Notifier)
    .WithServiceImage()
    .WithReference(database).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithSettingsSection(NotifierSettings.SectionName)
    .WithSettingsSection(ConsumerSettings.SectionName);

builder.AddProject<Projects.Analytics_Api>(ResourceNames.Api)
    .WithServiceImage()
    .WithReference(database).WaitForCompletion(migrations)
    .WithHttpHealthCheck("/health")
    .WithDevelopmentApiKey()
    .WithSettingsSection(FusionSettings.SectionName)
    .WithExternalHttpEndpoints();

// Scripted store, warehouse and classroom scenes streamed to ingest as dev-org, so a local run
// shows live signals within seconds. Tests start it only when they need it (Simulator:Enabled).
builder.AddSimulator(ingest, database);

// One console line when everything is healthy, with the time it took.
builder.AddReadinessReport();

builder.Build().Run();
