using System.ComponentModel.DataAnnotations;
using Analytics.Data.Identity;
using Analytics.Data.Registry;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api.Users;

/// <summary>An invitation as an owner or admin asks for it: who, with which role, limited to which sites (none: all).</summary>
public sealed record InvitationRequest(string Email, string OrgRole, string[]? Sites = null);

/// <summary>
/// The invitation made: its one-time token is shown here only. The invited person sets a password
/// with it at the identity service (<c>POST {acceptUrl}</c> with <c>{"token", "password"}</c>).
/// </summary>
public sealed record InvitationCreated(Guid InvitationId, string Email, string OrgRole, string[] Sites, DateTimeOffset ExpiresAt, string Token, string? AcceptUrl);

/// <summary>A new role or new sites for a user; what is omitted stays as it is.</summary>
public sealed record MembershipChange(string? OrgRole = null, string[]? Sites = null);

/// <summary>A user of the organization.</summary>
public sealed record UserView(Guid UserId, string Email, string OrgRole, string[] Sites, bool Disabled, DateTimeOffset? DisabledAt, DateTimeOffset CreatedAt)
{
    public static UserView Of(Member member) =>
        new(member.UserId, member.Email, member.OrgRole, member.Sites, member.DisabledAt is not null, member.DisabledAt, member.CreatedAt);
}

/// <summary>
/// The people of the caller's organization, managed by its owners and admins with their own
/// access tokens (<see cref="Permission.ManageUsers"/>; API keys carry no role and are
/// refused): invite, list, change role and sites, disable. Who may do what to whom is
/// <see cref="UserAdministration"/>. Another organization's users answer 404.
/// </summary>
public static class UsersApi
{
    private const string Resource = "user";

    /// <summary>How long an invitation's token can be used.</summary>
    public static readonly TimeSpan InvitationLifetime = TimeSpan.FromDays(7);

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/v1/users").RequirePermission(Permission.ManageUsers, Reach.Organization).WithTenantTransaction()
            .WithTag("Users", "The people of the organization, their roles and sites; owners and admins manage them.");

        users.MapGet("/", ListAsync).WithName("ListUsers").WithSummary("The organization's users");
        users.MapGet("/{userId:guid}", GetAsync).WithName("GetUser").WithSummary("One user")
            .ProducesProblem(StatusCodes.Status404NotFound);
        users.MapPost("/invitations", InviteAsync).WithName("InviteUser").WithSummary("Invite someone by e-mail with a role and sites; answers a one-time token")
            .WithProblem(StatusCodes.Status409Conflict, "The address already has an account. Nothing was changed.");
        users.MapPatch("/{userId:guid}", ChangeAsync).WithName("ChangeUser").WithSummary("Change a user's role or sites")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithProblem(StatusCodes.Status409Conflict, "A user cannot change their own role. Nothing was changed.");
        users.MapPost("/{userId:guid}/disable", DisableAsync).WithName("DisableUser").WithSummary("Disable a user: its sessions end and its tokens are refused")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithProblem(StatusCodes.Status409Conflict, "A user cannot disable themselves. Nothing was changed.");
        return app;
    }

    public static async Task<Ok<UserView[]>> ListAsync(HttpContext context, TenantTransaction tenant) =>
        TypedResults.Ok((await UserStore.MembersAsync(tenant.Connection, context.User.OrgId(), context.RequestAborted)).Select(UserView.Of).ToArray());

    public static async Task<Results<Ok<UserView>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, Guid userId) =>
        await UserStore.MemberAsync(tenant.Connection, context.User.OrgId(), userId, context.RequestAborted) is { } member
            ? TypedResults.Ok(UserView.Of(member))
            : Problems.NotFound(Resource, userId.ToString());

    public static async Task<Results<Created<InvitationCreated>, ProblemHttpResult>> InviteAsync(
        HttpContext context, TenantTransaction tenant, IOptions<AuthSettings> auth, TimeProvider clock, InvitationRequest request)
    {
        var orgId = context.User.OrgId();
        var sites = request.Sites ?? [];
        var problems = new List<ValidationProblem>();
        if (string.IsNullOrWhiteSpace(request.Email) || request.Email.Length > 320 || !new EmailAddressAttribute().IsValid(request.Email))
        {
            problems.Add(new ValidationProblem("$.email", $"must be an e-mail address, was '{request.Email}'"));
        }
        problems.AddRange(await RoleAndSiteProblemsAsync(tenant, orgId, request.OrgRole, sites, context.RequestAborted));
        if (problems.Count > 0)
        {
            return Problems.Invalid("invitation", problems);
        }
        if (UserAdministration.Invite(context.User.OrgRole(), request.OrgRole) is { } refusal)
        {
            return Refused(refusal);
        }

        var token = SecretTokens.Generate();
        var invitation = new NewInvitation(
            Guid.CreateVersion7(), SecretTokens.Hash(token), orgId, request.Email.Trim(), request.OrgRole, sites, context.User.Actor(),
            clock.GetUtcNow() + InvitationLifetime);
        if (await UserStore.InviteAsync(tenant.Connection, invitation, context.RequestAborted) == InvitationOutcome.AlreadyMember)
        {
            return Problems.Conflict(
                "The address already has an account",
                $"'{invitation.Email}' already belongs to an organization; an account belongs to one organization.");
        }
        await AuditTrail.RecordAsync(context, tenant, "user.invited", "invitation", invitation.InvitationId.ToString(),
            after: new { invitation.Email, invitation.OrgRole, invitation.Sites, invitation.ExpiresAt });
        // The identity service serves the acceptance under its issuer URL, as GoTrue serves /verify.
        var acceptUrl = auth.Value is { Mode: TokenSource.Local, Issuer: { } issuer } ? issuer.TrimEnd('/') + "/invite/accept" : null;
        return TypedResults.Created(
            $"/v1/users/invitations/{invitation.InvitationId}",
            new InvitationCreated(invitation.InvitationId, invitation.Email, invitation.OrgRole, sites, invitation.ExpiresAt, token, acceptUrl));
    }

    public static async Task<Results<Ok<UserView>, ProblemHttpResult>> ChangeAsync(
        HttpContext context, TenantTransaction tenant, Guid userId, MembershipChange change)
    {
        var orgId = context.User.OrgId();
        if (await UserStore.MemberAsync(tenant.Connection, orgId, userId, context.RequestAborted) is not { } member)
        {
            return Problems.NotFound(Resource, userId.ToString());
        }
        var role = change.OrgRole ?? member.OrgRole;
        var sites = change.Sites ?? member.Sites;
        var problems = await RoleAndSiteProblemsAsync(tenant, orgId, role, sites, context.RequestAborted);
        if (problems.Count > 0)
        {
            return Problems.Invalid(Resource, problems);
        }
        if (UserAdministration.Change(context.User.OrgRole(), context.User.UserId(), member, role) is { } refusal)
        {
            return Refused(refusal);
        }
        if (await UserStore.UpdateMembershipAsync(tenant.Connection, orgId, userId, role, sites, context.RequestAborted) is not { } updated)
        {
            return Problems.NotFound(Resource, userId.ToString());
        }
        await AuditTrail.RecordAsync(context, tenant, "user.changed", Resource, userId.ToString(), UserView.Of(member), UserView.Of(updated));
        return TypedResults.Ok(UserView.Of(updated));
    }

    public static async Task<Results<Ok<UserView>, ProblemHttpResult>> DisableAsync(
        HttpContext context, TenantTransaction tenant, UserStatusLookup userStatus, Guid userId)
    {
        var orgId = context.User.OrgId();
        if (await UserStore.MemberAsync(tenant.Connection, orgId, userId, context.RequestAborted) is not { } member)
        {
            return Problems.NotFound(Resource, userId.ToString());
        }
        if (UserAdministration.Disable(context.User.OrgRole(), context.User.UserId(), member) is { } refusal)
        {
            return Refused(refusal);
        }
        var disabled = await UserStore.DisableAsync(tenant.Connection, orgId, userId, context.RequestAborted);
        // This instance refuses the user's tokens from now on; others within Auth:UserStatusCacheSeconds.
        // Forgotten once the request's transaction has committed (before the answer is written):
        // forgotten earlier, a request of the user in between would remember the old "enabled".
        context.Response.OnStarting(() =>
        {
            userStatus.Forget(userId);
            return Task.CompletedTask;
        });
        if (disabled is null)
        {
            return Problems.NotFound(Resource, userId.ToString());
        }
        await AuditTrail.RecordAsync(context, tenant, "user.disabled", Resource, userId.ToString(), UserView.Of(member), UserView.Of(disabled));
        return TypedResults.Ok(UserView.Of(disabled));
    }

    private static async Task<List<ValidationProblem>> RoleAndSiteProblemsAsync(
        TenantTransaction tenant, string orgId, string? role, string[] sites, CancellationToken cancellationToken)
    {
        var problems = new List<ValidationProblem>();
        if (!OrgRoles.IsKnown(role))
        {
            problems.Add(new ValidationProblem("$.orgRole", $"must be one of {string.Join(", ", OrgRoles.All)}, was '{role}'"));
        }
        if (sites.Length > 0 && role is OrgRoles.Owner or OrgRoles.Admin)
        {
            problems.Add(new ValidationProblem("$.sites", $"must be empty for the role {role}: owners and admins reach every site; operators and viewers may be limited to sites"));
        }
        else if (sites.Length > 0)
        {
            var known = (await RegistryStore.SitesAsync(tenant.Connection, orgId, cancellationToken)).Select(s => s.SiteId).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < sites.Length; i++)
            {
                if (!known.Contains(sites[i]))
                {
                    problems.Add(new ValidationProblem($"$.sites[{i}]", $"names no site of your organization, was '{sites[i]}'"));
                }
            }
        }
        return problems;
    }

    private static ProblemHttpResult Refused(Refusal refusal) =>
        TypedResults.Problem(statusCode: refusal.Status, title: refusal.Title, detail: refusal.Detail);
}
