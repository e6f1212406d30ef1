using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Settings;

/// <summary>How signals are fused into incidents and when incidents close.</summary>
public sealed class FusionSettings : IValidatableObject
{
    public const string SectionName = "Fusion";

    /// <summary>Signals of the same kind and place within this time join one incident.</summary>
    [Range(1, 86400)]
    public int GroupWindowSeconds { get; set; } = 300;

    /// <summary>An incident without new signals for this long resolves itself.</summary>
    [Range(60, 604800)]
    public int AutoResolveQuietSeconds { get; set; } = 1800;

    /// <summary>A camera silent for this long raises a camera-offline incident.</summary>
    [Range(10, 86400)]
    public int CameraOfflineSeconds { get; set; } = 120;

    /// <summary>A matching signal this soon after resolution reopens the incident instead of opening a new one.</summary>
    [Range(0, 86400)]
    public int ReopenResolvedWithinSeconds { get; set; } = 600;

    // Otherwise an incident could resolve while signals still join it.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CrossFieldRules.Problems(
            CrossFieldRules.GreaterThan(validationContext, nameof(AutoResolveQuietSeconds), AutoResolveQuietSeconds, nameof(GroupWindowSeconds), GroupWindowSeconds));
}
