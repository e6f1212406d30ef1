using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;

namespace Analytics.Incidents;

/// <summary>How signals are fused into incidents and when incidents close.</summary>
public sealed class FusionSettings : IValidatableObject
{
    public const string SectionName = SettingsSections.Fusion;

    /// <summary>Signals of the same kind and place within this time join one incident.</summary>
    [Range(1, 86400)]
    public int GroupWindowSeconds { get; set; } = 300;

    /// <summary>An incident without new signals for this long resolves itself; a camera-offline incident waits for its camera to send again.</summary>
    [Range(60, 604800)]
    public int AutoResolveQuietSeconds { get; set; } = 1800;

    /// <summary>A camera silent for this long raises a camera-offline incident.</summary>
    [Range(10, 86400)]
    public int CameraOfflineSeconds { get; set; } = 120;

    /// <summary>A matching signal this soon after resolution reopens the incident instead of opening a new one.</summary>
    [Range(0, 86400)]
    public int ReopenResolvedWithinSeconds { get; set; } = 600;

    /// <summary>How often fusion looks for quiet incidents to resolve and silent cameras.</summary>
    [Range(1, 3600)]
    public int HousekeepingIntervalSeconds { get; set; } = 15;

    /// <summary>
    /// Signal kinds fused into one incident of a new kind at a higher severity. Configured as a
    /// list (Fusion:Correlations:0:Name, ...:Kinds:0, ...); a configured list replaces the default.
    /// </summary>
    public List<CorrelationRule> Correlations { get; set; } =
    [
        new() { Name = "suspected_theft", Kinds = ["loitering", "product_removal"], Scope = CorrelationScope.Zone, WindowSeconds = 600, Severity = Severity.High },
        new() { Name = "fall_in_crowd", Kinds = ["fall", "crowding"], Scope = CorrelationScope.Site, WindowSeconds = 120, Severity = Severity.Critical },
    ];

    // Otherwise an incident could resolve while signals still join it; and a kind in two
    // correlations would make its incident ambiguous.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var problems = CrossFieldRules.Problems(
            CrossFieldRules.GreaterThan(validationContext, nameof(AutoResolveQuietSeconds), AutoResolveQuietSeconds, nameof(GroupWindowSeconds), GroupWindowSeconds)).ToList();
        var shared = Correlations.SelectMany(rule => rule.Kinds.Distinct(StringComparer.Ordinal)).GroupBy(kind => kind, StringComparer.Ordinal)
            .Where(group => group.Count() > 1).Select(group => group.Key).ToList();
        if (shared.Count > 0)
        {
            problems.Add(new ValidationResult(
                $"{SettingsValidator.KeyOf(validationContext, nameof(Correlations))} may name each signal kind once, but {string.Join(", ", shared)} appear(s) in several rules",
                [nameof(Correlations)]));
        }
        return problems;
    }
}
