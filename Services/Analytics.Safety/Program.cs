using Analytics.Safety;
using Analytics.Safety.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;

return await RuleService.RunAsync<SafetySettings>(args, ResourceNames.Safety, SafetySettings.SectionName, SafetyRules.Create);
