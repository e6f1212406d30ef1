using Analytics.Consumers;
using Analytics.Fusion.Incidents;
using Analytics.Incidents;
using Npgsql;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<FusionSettings>(FusionSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<FusionConsumer>();
builder.AddLogConsumer(
    FusionConsumer.Name,
    services => FusionConsumer.Log(services.GetRequiredService<NpgsqlDataSource>()),
    services => services.GetRequiredService<FusionConsumer>(),
    // Fusion's pages are large and costly to write: the next is read while one is folded.
    readAhead: true);
builder.Services.AddSingleton<IncidentHousekeeping>();
builder.Services.AddHostedService(services => services.GetRequiredService<IncidentHousekeeping>());

var app = builder.Build();

app.MapDefaultEndpoints();

return await app.RunServiceAsync();
