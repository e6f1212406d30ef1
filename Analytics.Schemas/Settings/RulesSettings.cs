using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Settings;

/// <summary>
/// How event time moves for the rules, per camera: read by the rule services (lateness) and by
/// ingest (the idle fallback, which ingest records in the log).
/// </summary>
public sealed class RulesSettings
{
    public const string SectionName = "Rules";

    /// <summary>How far behind a camera's newest observation another of the same camera may be and still count; older ones are stored but change no signal, and are counted.</summary>
    [Range(0, 600)]
    public int AllowedLatenessSeconds { get; set; } = 2;

    /// <summary>Wall-clock time a camera may send nothing at all, heartbeats included, before its open behaviours are closed as if it had gone quiet.</summary>
    [Range(5, 604800)]
    public int IdleTimeoutSeconds { get; set; } = 1800;
}
