namespace Analytics.Api;

/// <summary>
/// Constraint names from <c>0005_sites_and_cameras.sql</c>. The database enforces the references,
/// so a concurrent delete can never leave a dangling one; the APIs turn a violation into a 400 or
/// 409 that names what is missing or in the way.
/// </summary>
internal static class ForeignKeys
{
    /// <summary>A camera's site exists.</summary>
    public const string CameraSite = "cameras_site_fk";

    /// <summary>A zone's camera exists, at the zone's site.</summary>
    public const string ZoneCamera = "zones_camera_fk";
}
