using Analytics.Education.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAnalyticsDataSource();
builder.AddValidatedSettings<EducationSettings>(EducationSettings.SectionName);
builder.AddRuleConsumer(ResourceNames.Education, sp => EducationRules.Create(sp.GetRequiredService<IOptions<EducationSettings>>().Value));

var app = builder.Build();

app.MapDefaultEndpoints();

return await app.RunServiceAsync();
