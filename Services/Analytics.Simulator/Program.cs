using Analytics.Schemas.Settings;
using Analytics.Simulator;
using Microsoft.Extensions.Options;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddValidatedSettings<SimulatorSettings>(SimulatorSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SimulatorMetrics>();
builder.Services.AddSingleton<ZoneWriter>();
builder.Services.AddHttpClient<IngestClient>((sp, http) =>
    http.BaseAddress = new Uri(sp.GetRequiredService<IOptions<SimulatorSettings>>().Value.IngestUrl));
builder.Services.AddHostedService<ScenePlayer>();

return await builder.Build().RunServiceAsync();
