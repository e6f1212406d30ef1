using Analytics.Api.Cameras;
using Analytics.Api.DeadLetters;
using Analytics.Api.Incidents;
using Analytics.Api.Notifications;
using Analytics.Api.Schemas;
using Analytics.Api.Silences;
using Analytics.Api.Sites;
using Analytics.Api.Users;
using Analytics.Api.Zones;
using Analytics.Incidents;
using Analytics.Tenancy;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddCallerAuthentication();
// Fusion's correlations name incident kinds a silence may match.
builder.AddValidatedSettings<FusionSettings>(FusionSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddOpenApi(options => options.AddTimestampSchemas());

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapContractSchemasApi();
app.MapSitesApi();
app.MapCamerasApi();
app.MapZonesApi();
app.MapIncidentsApi();
app.MapSilencesApi();
app.MapNotificationRulesApi();
app.MapDeliveriesApi();
app.MapDeadLettersApi();
app.MapUsersApi();

return await app.RunServiceAsync();
