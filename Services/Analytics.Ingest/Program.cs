using Analytics.Ingest;
using Analytics.Ingest.Observations;
using Analytics.Schemas.Settings;
using Analytics.Tenancy;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddCallerAuthentication();
builder.AddValidatedSettings<IngestSettings>(IngestSettings.SectionName);
builder.AddValidatedSettings<RulesSettings>(RulesSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SubjectKeySecrets>();
builder.Services.AddSingleton<ObservationWriter>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ObservationWriter>());
builder.Services.AddHostedService<ObservationLogMaintenance>();
builder.Services.AddSingleton<CameraIdleWatcher>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<CameraIdleWatcher>());

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapObservationsApi();

return await app.RunServiceAsync();
