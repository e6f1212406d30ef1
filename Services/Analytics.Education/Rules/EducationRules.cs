using Analytics.Rules;

namespace Analytics.Education.Rules;

/// <summary>The education service's rules, driven as one.</summary>
public static class EducationRules
{
    public static RuleSet Create(EducationSettings settings) => new([new ClassroomRule(settings)]);
}
