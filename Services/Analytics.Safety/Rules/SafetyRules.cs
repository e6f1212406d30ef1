using Analytics.Rules;

namespace Analytics.Safety.Rules;

/// <summary>The safety service's rules, driven as one.</summary>
public static class SafetyRules
{
    public static RuleSet Create(SafetySettings settings) =>
        new([new CrowdingRule(settings), new FallRule(settings), new MissingPpeRule(settings), new RunningRule(settings)]);
}
