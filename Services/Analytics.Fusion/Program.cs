using Analytics.Schemas.Settings;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<FusionSettings>(FusionSettings.SectionName);

var app = builder.Build();

app.MapDefaultEndpoints();

return await app.RunServiceAsync();
