using Analytics.Education;
using Analytics.Education.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;

return await RuleService.RunAsync<EducationSettings>(args, ResourceNames.Education, EducationSettings.SectionName, EducationRules.Create);
