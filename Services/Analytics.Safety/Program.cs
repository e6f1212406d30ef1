using Analytics.Safety.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;
using Analytics.Schemas.Settings;

return await RuleService.RunAsync<SafetySettings>(args, ResourceNames.Safety, SafetySettings.SectionName, SafetyRules.Create);
