namespace Analytics.Data.Identity;

public enum RefreshTokenVerdict
{
    /// <summary>Valid: it is revoked and a successor issued in the same session.</summary>
    Rotate,

    /// <summary>No token has that hash.</summary>
    Unknown,

    Expired,

    /// <summary>The token was already used or revoked: someone holds a copy, so the whole session ends.</summary>
    Reused,

    /// <summary>The account is disabled; its tokens are revoked already.</summary>
    Disabled,
}

/// <summary>
/// A refresh token as presented, with what decides whether it may be traded for a new one. The
/// rule is strict: a token works once. Presenting a revoked one again is how a stolen copy shows
/// (either the thief or the owner used it first), so its whole session is revoked and both must
/// sign in again. Supabase allows a reuse interval of a few seconds for clients that refresh twice
/// at once; this service does not, and such a client must refresh once.
/// </summary>
public sealed record RefreshTokenUse
{
    public string OrgId { get; init; } = "";
    public Guid UserId { get; init; }
    public Guid SessionId { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public DateTimeOffset? DisabledAt { get; init; }

    public static RefreshTokenVerdict Decide(RefreshTokenUse? token, DateTimeOffset now) => token switch
    {
        null => RefreshTokenVerdict.Unknown,
        { DisabledAt: not null } => RefreshTokenVerdict.Disabled,
        { RevokedAt: not null } => RefreshTokenVerdict.Reused,
        _ when token.ExpiresAt <= now => RefreshTokenVerdict.Expired,
        _ => RefreshTokenVerdict.Rotate,
    };
}
