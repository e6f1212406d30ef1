using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using Analytics.Schemas.Contracts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;

namespace Analytics.Tenancy;

/// <summary>What an operation needs. Every authorized endpoint requires exactly one (README, "Roles and permissions").</summary>
[SuppressMessage("Naming", "CA1711", Justification = "A permission of the platform's own table, not a code-access permission.")]
public enum Permission
{
    /// <summary>Read places, incidents, silences, notification rules, the delivery log and dead letters.</summary>
    Read,

    /// <summary>Act on incidents (acknowledge, resolve, comment) and make or end silences.</summary>
    Act,

    /// <summary>Change sites, cameras, zones and notification rules.</summary>
    Configure,

    /// <summary>Send observations to ingest.</summary>
    Ingest,

    /// <summary>Invite users, change their roles and sites, disable them.</summary>
    ManageUsers,

    /// <summary>Create, list and revoke API keys.</summary>
    ManageKeys,

    /// <summary>Read the audit trail.</summary>
    ReadAudit,

    /// <summary>Change the organization's own settings, such as the education opt-in.</summary>
    ManageOrganization,
}

/// <summary>Where an operation reaches: a caller limited to sites may do only what stays within them.</summary>
public enum Reach
{
    /// <summary>Things of one site; the handler shows a site-limited caller only its sites' things.</summary>
    Sites,

    /// <summary>Things of the whole organization; refused to a caller limited to sites.</summary>
    Organization,
}

/// <summary>
/// The permission table, written once: which role and which key scope allow what. Roles are
/// ordered (owner ⊃ admin ⊃ operator ⊃ viewer), except that only owners change the organization's
/// own settings. Keys are for machines: they never manage people or the organization.
/// </summary>
public static class Permissions
{
    public static bool RoleAllows(string role, Permission permission) => permission switch
    {
        Permission.Read => OrgRoles.IsKnown(role),
        Permission.Act => role is OrgRoles.Owner or OrgRoles.Admin or OrgRoles.Operator,
        Permission.Configure or Permission.Ingest or Permission.ManageUsers or Permission.ManageKeys or Permission.ReadAudit =>
            role is OrgRoles.Owner or OrgRoles.Admin,
        Permission.ManageOrganization => role is OrgRoles.Owner,
        _ => false,
    };

    /// <summary>The key scope that allows <paramref name="permission"/>; null: no key may.</summary>
    public static string? Scope(Permission permission) => permission switch
    {
        Permission.Read => ApiKeyScopes.Read,
        Permission.Act or Permission.Configure => ApiKeyScopes.Write,
        Permission.Ingest => ApiKeyScopes.Ingest,
        Permission.ManageKeys or Permission.ReadAudit => ApiKeyScopes.Admin,
        _ => null,
    };

    /// <summary>The policy an endpoint names to require <paramref name="permission"/> within <paramref name="reach"/>.</summary>
    public static string PolicyName(Permission permission, Reach reach) => $"{permission}:{reach}";

    /// <summary>Requires <paramref name="permission"/>; with <see cref="Reach.Organization"/>, also every site.</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, Permission permission, Reach reach = Reach.Sites)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(PolicyName(permission, reach));

    internal static void AddPolicies(AuthorizationBuilder authorization, string scheme)
    {
        foreach (var permission in Enum.GetValues<Permission>())
        {
            foreach (var reach in Enum.GetValues<Reach>())
            {
                authorization.AddPolicy(PolicyName(permission, reach), policy => policy
                    .AddAuthenticationSchemes(scheme)
                    .RequireClaim(CallerClaims.OrgId)
                    .AddRequirements(new PermissionRequirement(permission, reach)));
            }
        }
    }
}

/// <summary>One cell of the permission table an endpoint requires.</summary>
public sealed record PermissionRequirement(Permission Permission, Reach Reach) : IAuthorizationRequirement;

/// <summary>
/// Decides a <see cref="PermissionRequirement"/> from the caller's claims, without I/O; a refusal
/// carries the reason the 403 shows.
/// </summary>
internal sealed class PermissionHandler : AuthorizationHandler<PermissionRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
    {
        var refusal = Refusal(context.User, requirement);
        if (refusal is null)
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, refusal));
        }
        return Task.CompletedTask;
    }

    private static string? Refusal(ClaimsPrincipal caller, PermissionRequirement requirement)
    {
        if (caller.OrgRole() is { } role)
        {
            if (!Permissions.RoleAllows(role, requirement.Permission))
            {
                var roles = OrgRoles.All.Where(r => Permissions.RoleAllows(r, requirement.Permission));
                return $"Your role ({role}) does not allow this; it needs {Describe(requirement.Permission)}, which {string.Join(" and ", roles)} may do.";
            }
            if (requirement.Reach == Reach.Organization && caller.SiteLimit() is not null)
            {
                return "You are limited to some sites; this concerns the whole organization.";
            }
            return null;
        }
        if (caller.HasClaim(c => c.Type == CallerClaims.KeyId))
        {
            var scope = Permissions.Scope(requirement.Permission);
            if (scope is null)
            {
                return $"API keys cannot {Describe(requirement.Permission)}; sign in as a person whose role allows it.";
            }
            return caller.HasClaim(CallerClaims.Scope, scope)
                ? null
                : $"The key's scopes ({string.Join(", ", caller.FindAll(CallerClaims.Scope).Select(c => c.Value))}) do not include '{scope}', which this needs.";
        }
        return "The caller has neither a role nor a key's scopes.";
    }

    private static string Describe(Permission permission) => permission switch
    {
        Permission.Read => "reading",
        Permission.Act => "acting on incidents and silences",
        Permission.Configure => "changing the organization's configuration",
        Permission.Ingest => "sending observations",
        Permission.ManageUsers => "managing users",
        Permission.ManageKeys => "managing API keys",
        Permission.ReadAudit => "reading the audit trail",
        Permission.ManageOrganization => "changing the organization's settings",
        _ => permission.ToString(),
    };
}
