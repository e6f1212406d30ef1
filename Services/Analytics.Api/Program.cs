using Analytics.Api.Cameras;
using Analytics.Api.Schemas;
using Analytics.Api.Sites;
using Analytics.Api.Zones;
using Analytics.Tenancy;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddApiKeyAuthentication();
builder.Services.AddSingleton(TimeProvider.System);

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapContractSchemasApi();
app.MapSitesApi();
app.MapCamerasApi();
app.MapZonesApi();

return await app.RunServiceAsync();
