using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Safety;

/// <summary>Thresholds of the workplace-safety detectors.</summary>
public sealed class SafetySettings : IValidatableObject
{
    public const string SectionName = "Safety";

    /// <summary>People in one zone at once from which the zone counts as crowded.</summary>
    [Range(2, 1000)]
    public int CrowdingCount { get; set; } = 8;

    /// <summary>How long the crowd must persist, so people walking through do not trigger it.</summary>
    [Range(1, 3600)]
    public int CrowdingSeconds { get; set; } = 10;

    /// <summary>How long a person must stay lying before it counts as a fall.</summary>
    [Range(1, 600)]
    public int FallSeconds { get; set; } = 3;

    /// <summary>Box width / height above which a person counts as lying.</summary>
    [Range(1.0, 10.0)]
    public double FallAspectRatio { get; set; } = 1.3;

    /// <summary>How long a missing helmet or vest must persist, so a brief misdetection does not trigger it.</summary>
    [Range(1, 3600)]
    public int MissingPpeSeconds { get; set; } = 10;

    /// <summary>Speed, in normalized image widths per second, above which a person counts as running.</summary>
    [Range(0.01, 10.0)]
    public double RunningSpeed { get; set; } = 0.5;

    /// <summary>A track shorter than this is treated as detector flicker and ignored.</summary>
    [Range(0, 600)]
    public int MinPresenceSeconds { get; set; } = 2;

    /// <summary>A track that reappears within this time is the same presence, so occlusions do not reset timers.</summary>
    [Range(0, 600)]
    public int ExitGraceSeconds { get; set; } = 5;

    // Otherwise a crowd would be reported from tracks not yet trusted to be real.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CrossFieldRules.Problems(
            CrossFieldRules.LessThan(validationContext, nameof(MinPresenceSeconds), MinPresenceSeconds, nameof(CrowdingSeconds), CrowdingSeconds));
}
