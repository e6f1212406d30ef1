using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Simulator;

/// <summary>The scene simulator, which streams scripted store, classroom, warehouse and theft scenes to ingest in real time.</summary>
public sealed class SimulatorSettings : IValidatableObject
{
    public const string SectionName = "Simulator";

    /// <summary>The scenes the simulator knows.</summary>
    public static readonly IReadOnlyList<string> KnownScenes = ["store", "classroom", "warehouse", "theft"];

    /// <summary>Base URL of the ingest service; the AppHost passes the service-discovery name (http://ingest).</summary>
    [Required, AbsoluteHttpUrl]
    public string IngestUrl { get; set; } = "http://ingest";

    /// <summary>API key of the organization the scenes belong to, sent as a bearer token.</summary>
    [Required, MinLength(32)]
    public string ApiKey { get; set; } = "";

    /// <summary>Organization the scenes' zones are created for; must be the organization of the API key.</summary>
    [Required, MinLength(1), MaxLength(128)]
    public string OrgId { get; set; } = "dev-org";

    /// <summary>Scenes to play, comma-separated, any of store, classroom, warehouse and theft (the store with only its theft).</summary>
    [Required]
    public string Scenes { get; set; } = "store,classroom,warehouse";

    /// <summary>The scenes of <see cref="Scenes"/>, trimmed, lowercase and without repeats.</summary>
    public IReadOnlyList<string> SceneList() =>
        [.. Scenes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => s.ToLowerInvariant()).Distinct(StringComparer.Ordinal)];

    /// <summary>Cameras per scene; each camera plays its own copy of the scene.</summary>
    [Range(1, 1000)]
    public int Cameras { get; set; } = 2;

    /// <summary>Tracked objects (or classroom subjects) per camera; at least the scene's scripted actors are always played.</summary>
    [Range(1, 1000)]
    public int ObjectsPerCamera { get; set; } = 6;

    /// <summary>Frames per second each camera reports.</summary>
    [Range(1, 60)]
    public int FramesPerSecond { get; set; } = 5;

    /// <summary>Scene time one request carries; observations are posted once per this interval.</summary>
    [Range(50, 60000)]
    public int BatchMilliseconds { get; set; } = 500;

    /// <summary>Whether the scenes restart with new times and track ids after they end.</summary>
    public bool Loop { get; set; } = true;

    /// <summary>
    /// Whether registering the layout opts the organization into education, so the classroom scenes'
    /// affect telemetry is taken (development only; recorded in the audit trail with the actor 'simulator').
    /// </summary>
    public bool EnableEducation { get; set; } = true;

    /// <summary>How long to run before exiting; 0 runs until stopped.</summary>
    [Range(0, 31536000)]
    public int DurationSeconds { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var key = SettingsValidator.KeyOf(validationContext, nameof(Scenes));
        var scenes = SceneList();
        if (scenes.Count == 0)
        {
            yield return new ValidationResult($"{key} must name at least one of {string.Join(", ", KnownScenes)}", [nameof(Scenes)]);
        }

        foreach (var scene in scenes.Where(s => !KnownScenes.Contains(s, StringComparer.Ordinal)))
        {
            yield return new ValidationResult(
                $"{key} may name only {string.Join(", ", KnownScenes)}, had {SettingsValidator.Format(scene)}", [nameof(Scenes)]);
        }
    }
}
