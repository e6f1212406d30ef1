using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;

namespace Analytics.Incidents;

/// <summary>Where the signals of a correlation must have happened to belong together.</summary>
public enum CorrelationScope
{
    /// <summary>The same zone (signals without a zone fall back to their camera).</summary>
    Zone,

    /// <summary>The same camera.</summary>
    Camera,

    /// <summary>Anywhere on the same site: "nearby" for signals of different cameras.</summary>
    Site,
}

/// <summary>
/// A fusion rule: signals of these kinds in the same place within the window form one incident,
/// and once every kind is present the incident becomes <see cref="Name"/> at least at
/// <see cref="Severity"/>. For example loitering plus product removal in one zone is a
/// suspected theft.
/// </summary>
public sealed class CorrelationRule : IValidatableObject
{
    /// <summary>The incident kind once all kinds are present, e.g. suspected_theft.</summary>
    [Required, RegularExpression("^[a-z][a-z0-9_]{0,63}$")]
    public string Name { get; set; } = "";

    /// <summary>Signal kinds that belong together; at least two.</summary>
    [Required]
    public List<string> Kinds { get; set; } = [];

    /// <summary>Where the signals must have happened.</summary>
    public CorrelationScope Scope { get; set; } = CorrelationScope.Zone;

    /// <summary>How far apart in event time the signals may be.</summary>
    [Range(1, 86400)]
    public int WindowSeconds { get; set; } = 300;

    /// <summary>The least severity of the fused incident.</summary>
    public Severity Severity { get; set; } = Severity.High;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var distinct = Kinds.Where(kind => !string.IsNullOrWhiteSpace(kind)).Distinct(StringComparer.Ordinal).Count();
        if (distinct < 2 || distinct != Kinds.Count)
        {
            yield return new ValidationResult(
                $"{SettingsValidator.KeyOf(validationContext, nameof(Kinds))} must list at least two different signal kinds, was [{string.Join(", ", Kinds)}]",
                [nameof(Kinds)]);
        }

        var unknown = Kinds.Where(kind => RuleCatalog.Find(kind) is null).ToList();
        if (unknown.Count > 0)
        {
            yield return new ValidationResult(
                $"{SettingsValidator.KeyOf(validationContext, nameof(Kinds))} must name signal kinds of the rules ({string.Join(", ", RuleCatalog.SignalKinds)}), but {string.Join(", ", unknown)} is not one",
                [nameof(Kinds)]);
        }
    }
}
