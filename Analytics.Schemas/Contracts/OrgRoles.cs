namespace Analytics.Schemas.Contracts;

/// <summary>
/// A person's role in an organization, as access tokens carry it (<c>app_metadata.org_role</c>) and
/// the <c>memberships</c> table stores it. Strings on the wire and in the database, listed here once.
/// </summary>
public static class OrgRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";

    /// <summary>Every role, the most powerful first.</summary>
    public static IReadOnlyList<string> All { get; } = [Owner, Admin, Operator, Viewer];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);
}
