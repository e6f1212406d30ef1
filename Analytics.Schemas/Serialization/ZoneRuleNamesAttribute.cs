namespace Analytics.Schemas.Serialization;

/// <summary>
/// Marks a list of rule names: its published JSON Schema enumerates <see cref="Contracts.RuleCatalog.ZoneRules"/>,
/// the same list the validator checks against.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ZoneRuleNamesAttribute : Attribute;
