using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Education;

/// <summary>Classroom aggregates. Only group-level figures leave the service, never per-subject ones.</summary>
public sealed class EducationSettings : IValidatableObject
{
    public const string SectionName = "Education";

    /// <summary>Length of one aggregation window.</summary>
    [Range(10, 3600)]
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Privacy floor: no aggregate is produced for fewer subjects, so no figure describes an individual.</summary>
    [Range(2, 1000)]
    public int MinGroupSize { get; set; } = 5;

    /// <summary>Mean engagement below which a window counts as low engagement.</summary>
    [Range(0.0, 1.0)]
    public double LowEngagementThreshold { get; set; } = 0.35;

    /// <summary>Valence below which a subject counts as distressed.</summary>
    [Range(-1.0, 0.0)]
    public double DistressValenceThreshold { get; set; } = -0.5;

    /// <summary>Distressed subjects needed before distress is signalled.</summary>
    [Range(1, 1000)]
    public int DistressMinSubjects { get; set; } = 3;

    /// <summary>How long distress must persist before it is signalled.</summary>
    [Range(1, 3600)]
    public int DistressSeconds { get; set; } = 30;

    // Distress is judged from the samples of one window, which are discarded afterwards, so a
    // longer duration could never be observed.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CrossFieldRules.Problems(
            CrossFieldRules.AtMost(validationContext, nameof(DistressSeconds), DistressSeconds, nameof(WindowSeconds), WindowSeconds));
}
