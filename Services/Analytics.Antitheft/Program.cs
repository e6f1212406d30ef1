using Analytics.Antitheft.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<AntitheftSettings>(AntitheftSettings.SectionName);
builder.AddRuleConsumer(ResourceNames.Antitheft, sp => AntitheftRules.Create(sp.GetRequiredService<IOptions<AntitheftSettings>>().Value));

var app = builder.Build();

app.MapDefaultEndpoints();

return await app.RunServiceAsync();
