using Analytics.Data.Identity;
using Analytics.Schemas.Contracts;
using Microsoft.AspNetCore.Http;

namespace Analytics.Tenancy;

/// <summary>Why a change to a user is refused: the HTTP status and words for the caller.</summary>
public sealed record Refusal(int Status, string Title, string Detail);

/// <summary>
/// Who may do what to the users of an organization, decided without I/O. Owners and admins manage
/// users; an admin cannot make anyone an owner, nor change or disable an owner, so an admin can
/// never take an organization from its owners. Nobody changes or disables their own account, so
/// no one locks themselves (or the last owner) out by mistake.
/// </summary>
public static class UserAdministration
{
    public static bool CanManageUsers(string? role) => role is OrgRoles.Owner or OrgRoles.Admin;

    public static Refusal? Invite(string? actorRole, string newRole) =>
        Manage(actorRole) ?? Grant(actorRole, newRole);

    public static Refusal? Change(string? actorRole, Guid? actorId, Member target, string newRole) =>
        Manage(actorRole) ?? Self(actorId, target, "change your own role or sites") ?? Touch(actorRole, target) ?? Grant(actorRole, newRole);

    public static Refusal? Disable(string? actorRole, Guid? actorId, Member target) =>
        Manage(actorRole) ?? Self(actorId, target, "disable your own account") ?? Touch(actorRole, target);

    private static Refusal? Manage(string? actorRole) => CanManageUsers(actorRole)
        ? null
        : new Refusal(StatusCodes.Status403Forbidden, "Only owners and admins manage users", "Sign in as an owner or admin of the organization.");

    private static Refusal? Grant(string? actorRole, string newRole) => newRole == OrgRoles.Owner && actorRole != OrgRoles.Owner
        ? new Refusal(StatusCodes.Status403Forbidden, "Only owners make owners", "An admin can give the roles admin, operator and viewer.")
        : null;

    private static Refusal? Touch(string? actorRole, Member target) => target.OrgRole == OrgRoles.Owner && actorRole != OrgRoles.Owner
        ? new Refusal(StatusCodes.Status403Forbidden, "Only owners change owners", $"User {target.UserId} is an owner; an admin cannot change or disable an owner.")
        : null;

    private static Refusal? Self(Guid? actorId, Member target, string what) => actorId == target.UserId
        ? new Refusal(StatusCodes.Status409Conflict, $"You cannot {what}", "Ask another owner or admin of the organization.")
        : null;
}
