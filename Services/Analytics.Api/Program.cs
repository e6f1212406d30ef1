using Analytics.Api.Keys;
using Analytics.Api.Audit;
using Analytics.Api.Cameras;
using Analytics.Api.DeadLetters;
using Analytics.Api.Incidents;
using Analytics.Api.Notifications;
using Analytics.Api.Organization;
using Analytics.Api.Schemas;
using Analytics.Api.Silences;
using Analytics.Api.Sites;
using Analytics.Api.Users;
using Analytics.Api.Zones;
using Analytics.Incidents;
using Analytics.OpenApi;
using Analytics.Schemas;
using Analytics.Tenancy;
using Analytics.Tenancy.RateLimiting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddCallerAuthentication();
builder.AddCallerRateLimits(ResourceNames.Api);
builder.Services.AddTenantTransactions();
// Fusion's correlations name incident kinds a silence may match.
builder.AddValidatedSettings<FusionSettings>(FusionSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IncidentChangeFeed>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<IncidentChangeFeed>());
builder.AddApiDocument("Analytics API",
    "Operators, the console and integrations reach the platform here: sites, cameras and zones; incidents with their " +
    "evidence and history, and the actions on them; silences; notification rules and the delivery log; dead letters; " +
    "and the JSON Schema of every contract. Every call is scoped to the caller's organization, and every error is " +
    "problem+json (RFC 9457).");

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseCallerRateLimits();
app.MapApiDocument();
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
app.MapApiKeysApi();
app.MapAuditApi();
app.MapOrganizationSettingsApi();

return await app.RunServiceAsync();
