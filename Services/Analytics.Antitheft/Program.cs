using Analytics.Antitheft;
using Analytics.Antitheft.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;

return await RuleService.RunAsync<AntitheftSettings>(args, ResourceNames.Antitheft, AntitheftSettings.SectionName, AntitheftRules.Create);
