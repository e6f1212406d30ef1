using Analytics.Safety.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<SafetySettings>(SafetySettings.SectionName);
builder.AddRuleConsumer(ResourceNames.Safety, sp => SafetyRules.Create(sp.GetRequiredService<IOptions<SafetySettings>>().Value));

var app = builder.Build();

app.MapDefaultEndpoints();

return await app.RunServiceAsync();
