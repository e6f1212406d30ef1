using Analytics.Ingest;
using Analytics.Ingest.Observations;
using Analytics.OpenApi;
using Analytics.Schemas;
using Analytics.Schemas.Settings;
using Analytics.Tenancy;
using Analytics.Tenancy.RateLimiting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddHousekeepingDataSource();
builder.AddCallerAuthentication();
builder.AddCallerRateLimits(ResourceNames.Ingest);
builder.AddApiDocument("Analytics ingest",
    "Edge trackers send their observations here (track updates, zone hits, affect telemetry, heartbeats) in batches, " +
    "as a JSON array or as NDJSON. A batch is taken whole or not at all, and a 2xx answer means it is committed. " +
    "Send a batch again after a 429 or 503 once `Retry-After` seconds have passed, with the same `Idempotency-Key`.");
builder.AddValidatedSettings<IngestSettings>(IngestSettings.SectionName);
builder.AddValidatedSettings<RulesSettings>(RulesSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SubjectKeySecrets>();
builder.Services.AddSingleton<EducationOptIns>();
builder.Services.AddSingleton<ObservationWriter>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ObservationWriter>());
builder.Services.AddHostedService<ObservationLogMaintenance>();
builder.Services.AddSingleton<CameraIdleWatcher>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<CameraIdleWatcher>());

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseCallerRateLimits();
app.MapObservationsApi();
app.MapApiDocument();

return await app.RunServiceAsync();
