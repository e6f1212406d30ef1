using Analytics.Education;
using Analytics.Education.Rules;
using Analytics.Rules.Hosting;
using Analytics.Schemas;

// Inferring pupils' emotions is restricted by law in many places: only for organizations whose owner opted in.
return await RuleService.RunAsync<EducationSettings>(args, ResourceNames.Education, EducationSettings.SectionName, EducationRules.Create, optInOnly: true);
