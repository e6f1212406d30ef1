using Analytics.Education.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;
using Analytics.Schemas.Settings;

return await RuleService.RunAsync<EducationSettings>(args, ResourceNames.Education, EducationSettings.SectionName, EducationRules.Create);
