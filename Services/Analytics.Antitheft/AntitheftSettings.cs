using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Antitheft;

/// <summary>Thresholds of the antitheft detectors.</summary>
public sealed class AntitheftSettings : IValidatableObject
{
    public const string SectionName = "Antitheft";

    /// <summary>Dwell in a zone after which a person counts as loitering.</summary>
    [Range(1, 3600)]
    public int LoiteringSeconds { get; set; } = 120;

    /// <summary>A track shorter than this is treated as detector flicker and ignored.</summary>
    [Range(0, 600)]
    public int MinPresenceSeconds { get; set; } = 2;

    /// <summary>A track that reappears within this time is the same visit, so occlusions do not reset dwell.</summary>
    [Range(0, 600)]
    public int ExitGraceSeconds { get; set; } = 5;

    /// <summary>How long after a product leaves a shelf zone its removal is linked to the person near it.</summary>
    [Range(1, 3600)]
    public int ProductRemovalWindowSeconds { get; set; } = 300;

    // Otherwise every track that is long enough to count would already be loitering.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CrossFieldRules.Problems(
            CrossFieldRules.LessThan(validationContext, nameof(MinPresenceSeconds), MinPresenceSeconds, nameof(LoiteringSeconds), LoiteringSeconds));
}
