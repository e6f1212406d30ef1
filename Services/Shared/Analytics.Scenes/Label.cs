namespace Analytics.Scenes;

/// <summary>A behaviour the scene's script contains, which the rules must report exactly once.</summary>
/// <param name="Kind">Signal kind.</param>
/// <param name="Subject">Track id, or zone id for zone-level behaviours.</param>
/// <param name="StartSecond">When the script makes it start, seconds after the scene start; null when not asserted.</param>
public sealed record Label(string Kind, string Subject, double? StartSecond = null);
