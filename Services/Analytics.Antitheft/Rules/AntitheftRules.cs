using Analytics.Rules;

namespace Analytics.Antitheft.Rules;

/// <summary>The antitheft service's rules, driven as one.</summary>
public static class AntitheftRules
{
    public static RuleSet Create(AntitheftSettings settings) =>
        new([new LoiteringRule(settings), new IntrusionRule(settings), new ProductRemovalRule(settings)]);
}
