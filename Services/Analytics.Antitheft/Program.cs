using Analytics.Antitheft.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;
using Analytics.Schemas.Settings;

return await RuleService.RunAsync<AntitheftSettings>(args, ResourceNames.Antitheft, AntitheftSettings.SectionName, AntitheftRules.Create);
