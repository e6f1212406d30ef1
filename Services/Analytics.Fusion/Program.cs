using Analytics.Fusion.Incidents;
using Analytics.Schemas.Settings;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<FusionSettings>(FusionSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddHostedService<FusionConsumer>();
builder.Services.AddSingleton<IncidentHousekeeping>();
builder.Services.AddHostedService(services => services.GetRequiredService<IncidentHousekeeping>());

var app = builder.Build();

app.MapDefaultEndpoints();

return await app.RunServiceAsync();
