using Analytics.Data.Tenancy;
using Dapper;
using Npgsql;

namespace Analytics.Data.Identity;

/// <summary>An account as sign-in sees it: the user, its password hash and its membership, if any.</summary>
public sealed record Account
{
    public Guid UserId { get; init; }
    public string Email { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public DateTimeOffset? DisabledAt { get; init; }
    public string? OrgId { get; init; }
    public string? OrgRole { get; init; }
    public string[] Sites { get; init; } = [];
}

/// <summary>A user of one organization as its owners and admins see it.</summary>
public sealed record Member
{
    public Guid UserId { get; init; }
    public string Email { get; init; } = "";
    public string OrgRole { get; init; } = "";

    /// <summary>Sites the role is limited to; empty: every site of the organization.</summary>
    public string[] Sites { get; init; } = [];

    public DateTimeOffset? DisabledAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>An invitation to create, with its token already hashed.</summary>
public sealed record NewInvitation(
    Guid InvitationId, byte[] TokenHash, string OrgId, string Email, string OrgRole, string[] Sites, string InvitedBy, DateTimeOffset ExpiresAt);

public enum InvitationOutcome
{
    Created,

    /// <summary>The address already has an account in an organization (this one or another).</summary>
    AlreadyMember,
}

/// <summary>What accepting an invitation did: the account signed in, or why not.</summary>
public sealed record Acceptance(Account? Account, AcceptanceRefusal? Refusal);

public enum AcceptanceRefusal
{
    /// <summary>No such token, already used, or expired: all the same to the caller.</summary>
    InvalidToken,

    /// <summary>The address got an account in an organization after it was invited.</summary>
    AlreadyMember,
}

/// <summary>A refresh token to store: only its hash, and the session it belongs to.</summary>
public sealed record NewRefreshToken(byte[] TokenHash, string OrgId, Guid UserId, Guid SessionId, DateTimeOffset ExpiresAt);

/// <summary>
/// The owner of the people tables: <c>users</c>, their <c>memberships</c>, <c>refresh_tokens</c> and
/// <c>invitations</c> (migration 0017). One owner for the four, because every change to an account
/// touches more than one of them in one transaction: accepting an invitation creates the user and
/// its membership and uses the invitation; disabling a user revokes its refresh tokens.
/// </summary>
public static class UserStore
{
    private const string AccountColumns = """
        u.user_id, u.email, u.password_hash, u.disabled_at, m.org_id, m.org_role, COALESCE(m.sites, '{}') AS sites
        """;

    private const string MemberColumns = "u.user_id, u.email, m.org_role, m.sites, u.disabled_at, m.created_at";

    public static async Task<Account?> AccountByEmailAsync(NpgsqlDataSource dataSource, string email, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition(
            $"SELECT {AccountColumns} FROM users u LEFT JOIN memberships m ON m.user_id = u.user_id WHERE lower(u.email) = lower(@email)",
            new { email }, cancellationToken: cancellationToken));
    }

    public static async Task<Account?> AccountAsync(NpgsqlDataSource dataSource, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition(
            $"SELECT {AccountColumns} FROM users u LEFT JOIN memberships m ON m.user_id = u.user_id WHERE u.user_id = @userId",
            new { userId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Whether the user exists and is disabled; a user this database does not know is not. Asked
    /// while a request is authenticated, before it runs under an organization, so of a function
    /// that answers that and nothing else (migration 0018).
    /// </summary>
    public static async Task<bool> IsDisabledAsync(NpgsqlDataSource dataSource, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT analytics_user_disabled(@userId)", new { userId }, cancellationToken: cancellationToken));
    }

    /// <summary>Stores a new hash of the same password, when the hasher asks for a stronger one.</summary>
    public static async Task SetPasswordHashAsync(NpgsqlDataSource dataSource, Guid userId, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @passwordHash WHERE user_id = @userId", new { userId, passwordHash }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Creates the organization, the user and its membership with <paramref name="orgRole"/> unless
    /// they exist; an existing user gets <paramref name="passwordHash"/> when <paramref name="replacePassword"/>
    /// says its stored hash no longer matches. Safe to repeat and to run from several replicas.
    /// </summary>
    public static async Task SeedAsync(
        NpgsqlDataSource dataSource, string orgId, string email, string orgRole, string passwordHash, Func<string, bool> replacePassword,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await OrganizationStore.EnsureAsync(connection, orgId, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO users (user_id, email, password_hash) VALUES (@userId, @email, @passwordHash) ON CONFLICT (lower(email)) DO NOTHING",
            new { userId = Guid.CreateVersion7(), email, passwordHash }, transaction, cancellationToken: cancellationToken));
        var user = await connection.QuerySingleAsync<(Guid UserId, string PasswordHash)>(new CommandDefinition(
            "SELECT user_id, password_hash FROM users WHERE lower(email) = lower(@email) FOR UPDATE", new { email }, transaction, cancellationToken: cancellationToken));
        if (user.PasswordHash != passwordHash && replacePassword(user.PasswordHash))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE users SET password_hash = @passwordHash WHERE user_id = @userId", new { user.UserId, passwordHash }, transaction, cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO memberships (org_id, user_id, org_role) VALUES (@orgId, @userId, @orgRole) ON CONFLICT DO NOTHING",
            new { orgId, user.UserId, orgRole }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public static async Task<Member[]> MembersAsync(NpgsqlConnection connection, string orgId, CancellationToken cancellationToken)
    {
        var members = await connection.QueryAsync<Member>(new CommandDefinition(
            $"SELECT {MemberColumns} FROM memberships m JOIN users u ON u.user_id = m.user_id WHERE m.org_id = @orgId ORDER BY lower(u.email)",
            new { orgId }, cancellationToken: cancellationToken));
        return [.. members];
    }

    /// <summary>A user of <paramref name="orgId"/>; null for a user of another organization, as for none.</summary>
    public static async Task<Member?> MemberAsync(NpgsqlConnection connection, string orgId, Guid userId, CancellationToken cancellationToken)
    {
        return await connection.QuerySingleOrDefaultAsync<Member>(new CommandDefinition(
            $"SELECT {MemberColumns} FROM memberships m JOIN users u ON u.user_id = m.user_id WHERE m.org_id = @orgId AND m.user_id = @userId",
            new { orgId, userId }, cancellationToken: cancellationToken));
    }

    /// <summary>Sets the user's role and sites in <paramref name="orgId"/>; null when it is no user of that organization.</summary>
    public static async Task<Member?> UpdateMembershipAsync(
        NpgsqlConnection connection, string orgId, Guid userId, string orgRole, string[] sites, CancellationToken cancellationToken)
    {
        return await connection.QuerySingleOrDefaultAsync<Member>(new CommandDefinition(
            $"""
            WITH m AS (
                UPDATE memberships SET org_role = @orgRole, sites = @sites, updated_at = now()
                WHERE org_id = @orgId AND user_id = @userId
                RETURNING user_id, org_role, sites, created_at)
            SELECT {MemberColumns} FROM m JOIN users u ON u.user_id = m.user_id
            """,
            new { orgId, userId, orgRole, sites }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Disables a user of <paramref name="orgId"/> (once: a second call keeps the first time) and
    /// revokes every refresh token it has, in the caller's transaction; null when it is no user of that organization.
    /// </summary>
    public static async Task<Member?> DisableAsync(NpgsqlConnection connection, string orgId, Guid userId, CancellationToken cancellationToken)
    {
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE users u SET disabled_at = COALESCE(u.disabled_at, now())
            FROM memberships m WHERE m.user_id = u.user_id AND m.org_id = @orgId AND u.user_id = @userId
            """,
            new { orgId, userId }, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return null;
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = @userId AND revoked_at IS NULL",
            new { userId }, cancellationToken: cancellationToken));
        return await connection.QuerySingleAsync<Member>(new CommandDefinition(
            $"SELECT {MemberColumns} FROM memberships m JOIN users u ON u.user_id = m.user_id WHERE m.org_id = @orgId AND m.user_id = @userId",
            new { orgId, userId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Stores an invitation unless the address already has an account in an organization. An
    /// inviting organization cannot see another's users (row-level security), so whether the
    /// address is taken is asked of a function that answers that and nothing else (migration 0018).
    /// </summary>
    public static async Task<InvitationOutcome> InviteAsync(NpgsqlConnection connection, NewInvitation invitation, CancellationToken cancellationToken)
    {
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO invitations (invitation_id, token_hash, org_id, email, org_role, sites, invited_by, expires_at)
            SELECT @InvitationId, @TokenHash, @OrgId, @Email, @OrgRole, @Sites, @InvitedBy, @ExpiresAt
            WHERE NOT analytics_email_has_account(@Email)
            """,
            invitation, cancellationToken: cancellationToken));
        return inserted == 1 ? InvitationOutcome.Created : InvitationOutcome.AlreadyMember;
    }

    /// <summary>
    /// Uses an invitation: the invited address gets its account (or, if it has one without an
    /// organization, a new password) with the invitation's password hash, and the membership the
    /// invitation names; the invitation cannot be used again. All or nothing.
    /// </summary>
    public static async Task<Acceptance> AcceptInvitationAsync(
        NpgsqlDataSource dataSource, byte[] tokenHash, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var invitation = await connection.QuerySingleOrDefaultAsync<InvitationRow>(new CommandDefinition(
            """
            SELECT invitation_id, org_id, email, org_role, sites FROM invitations
            WHERE token_hash = @tokenHash AND accepted_at IS NULL AND expires_at > now()
            FOR UPDATE
            """,
            new { tokenHash }, transaction, cancellationToken: cancellationToken));
        if (invitation is null)
        {
            return new Acceptance(null, AcceptanceRefusal.InvalidToken);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO users (user_id, email, password_hash) VALUES (@userId, @Email, @passwordHash)
            ON CONFLICT (lower(email)) DO UPDATE SET password_hash = EXCLUDED.password_hash
            """,
            new { userId = Guid.CreateVersion7(), invitation.Email, passwordHash }, transaction, cancellationToken: cancellationToken));
        var userId = await connection.ExecuteScalarAsync<Guid>(new CommandDefinition(
            "SELECT user_id FROM users WHERE lower(email) = lower(@Email)", new { invitation.Email }, transaction, cancellationToken: cancellationToken));
        var joined = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO memberships (org_id, user_id, org_role, sites) VALUES (@OrgId, @userId, @OrgRole, @Sites)
            ON CONFLICT DO NOTHING
            """,
            new { invitation.OrgId, userId, invitation.OrgRole, invitation.Sites }, transaction, cancellationToken: cancellationToken));
        if (joined == 0)
        {
            // Rolled back: the account of another organization keeps its password.
            return new Acceptance(null, AcceptanceRefusal.AlreadyMember);
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE invitations SET accepted_at = now(), accepted_by = @userId WHERE invitation_id = @InvitationId",
            new { userId, invitation.InvitationId }, transaction, cancellationToken: cancellationToken));
        var account = await connection.QuerySingleAsync<Account>(new CommandDefinition(
            $"SELECT {AccountColumns} FROM users u LEFT JOIN memberships m ON m.user_id = u.user_id WHERE u.user_id = @userId",
            new { userId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new Acceptance(account, null);
    }

    public static async Task IssueRefreshTokenAsync(NpgsqlDataSource dataSource, NewRefreshToken token, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO refresh_tokens (token_hash, org_id, user_id, session_id, expires_at)
            VALUES (@TokenHash, @OrgId, @UserId, @SessionId, @ExpiresAt)
            """,
            token, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Trades a refresh token for its successor (<paramref name="nextHash"/>, valid until
    /// <paramref name="nextExpiresAt"/>) if <see cref="RefreshTokenUse.Decide"/> allows it; a reused
    /// token revokes its whole session. The row is locked, so two uses of one token are one rotation
    /// and one reuse, never two rotations.
    /// </summary>
    public static async Task<(RefreshTokenVerdict Verdict, Account? Account, Guid SessionId)> RotateRefreshTokenAsync(
        NpgsqlDataSource dataSource, byte[] tokenHash, byte[] nextHash, DateTimeOffset nextExpiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var token = await connection.QuerySingleOrDefaultAsync<RefreshTokenUse>(new CommandDefinition(
            """
            SELECT t.org_id, t.user_id, t.session_id, t.expires_at, t.revoked_at, u.disabled_at
            FROM refresh_tokens t JOIN users u ON u.user_id = t.user_id
            WHERE t.token_hash = @tokenHash
            FOR UPDATE OF t
            """,
            new { tokenHash }, transaction, cancellationToken: cancellationToken));
        var verdict = RefreshTokenUse.Decide(token, now);
        switch (verdict)
        {
            case RefreshTokenVerdict.Rotate:
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO refresh_tokens (token_hash, org_id, user_id, session_id, expires_at)
                    VALUES (@nextHash, @OrgId, @UserId, @SessionId, @nextExpiresAt);
                    UPDATE refresh_tokens SET revoked_at = @now, replaced_by = @nextHash WHERE token_hash = @tokenHash;
                    """,
                    new { nextHash, token!.OrgId, token.UserId, token.SessionId, nextExpiresAt, now, tokenHash }, transaction, cancellationToken: cancellationToken));
                break;
            case RefreshTokenVerdict.Reused:
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE refresh_tokens SET revoked_at = @now WHERE session_id = @SessionId AND revoked_at IS NULL",
                    new { now, token!.SessionId }, transaction, cancellationToken: cancellationToken));
                break;
        }
        Account? account = null;
        if (verdict == RefreshTokenVerdict.Rotate)
        {
            account = await connection.QuerySingleAsync<Account>(new CommandDefinition(
                $"SELECT {AccountColumns} FROM users u LEFT JOIN memberships m ON m.user_id = u.user_id WHERE u.user_id = @UserId",
                new { token!.UserId }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return (verdict, account, token?.SessionId ?? Guid.Empty);
    }

    /// <summary>Signs out: revokes the user's refresh tokens of one session, or of all its sessions when <paramref name="sessionId"/> is null.</summary>
    public static async Task<int> RevokeRefreshTokensAsync(NpgsqlDataSource dataSource, Guid userId, Guid? sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = @userId AND revoked_at IS NULL AND (@sessionId::uuid IS NULL OR session_id = @sessionId)",
            new { userId, sessionId }, cancellationToken: cancellationToken));
    }

    private sealed record InvitationRow
    {
        public Guid InvitationId { get; init; }
        public string OrgId { get; init; } = "";
        public string Email { get; init; } = "";
        public string OrgRole { get; init; } = "";
        public string[] Sites { get; init; } = [];
    }
}
