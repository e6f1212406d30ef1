namespace Analytics.Schemas.Contracts;

/// <summary>
/// The kinds an incident can have: a rule's signal kind (<see cref="RuleCatalog.SignalKinds"/>),
/// a correlation's name (configured for fusion) or the platform's own <see cref="CameraOffline"/>.
/// A silence names one of these; any other would silence nothing.
/// </summary>
public static class IncidentKinds
{
    /// <summary>A registered camera stopped sending.</summary>
    public const string CameraOffline = "camera_offline";

    /// <summary>Every incident kind, given the names of fusion's correlations.</summary>
    public static IReadOnlyList<string> Known(IEnumerable<string> correlationNames) =>
        [.. RuleCatalog.SignalKinds, .. correlationNames.Order(StringComparer.Ordinal), CameraOffline];
}
