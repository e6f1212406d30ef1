using Analytics.Simulator;
using Microsoft.Extensions.Options;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddValidatedSettings<SimulatorSettings>(SimulatorSettings.SectionName);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SimulatorMetrics>();
builder.Services.AddSingleton<LayoutWriter>();
// IngestClient retries itself (Retry-After, exponential back-off) so it can count every retry
// and never give up on a batch; the default resilience handler would hide and cap them.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental.
builder.Services.AddHttpClient<IngestClient>((sp, http) =>
{
    http.BaseAddress = new Uri(sp.GetRequiredService<IOptions<SimulatorSettings>>().Value.IngestUrl);
    http.Timeout = TimeSpan.FromSeconds(30);
}).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
builder.Services.AddHostedService<ScenePlayer>();

return await builder.Build().RunServiceAsync();
