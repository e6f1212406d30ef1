using System.Text.Json;
using Analytics.Data.Identity;
using Analytics.Identity.Accounts;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Analytics.Identity.Tokens;

/// <summary>
/// Access tokens with the claims Supabase puts into its own (sub, email, aud and role
/// "authenticated", session_id, app_metadata, user_metadata), so the API reads a token of this
/// service and one of a Supabase project the same way. What the user may do sits in app_metadata,
/// which only the platform writes: org_id, org_role and sites (omitted: every site).
/// </summary>
public sealed class AccessTokens(SigningKeys keys, IOptions<IdentitySettings> settings, TimeProvider clock)
{
    /// <summary>Supabase's audience and database role for a signed-in user.</summary>
    public const string Audience = "authenticated";

    private static readonly JsonWebTokenHandler Handler = new();

    public TimeSpan Lifetime => TimeSpan.FromMinutes(settings.Value.AccessTokenMinutes);

    /// <summary>A signed token for <paramref name="account"/> in <paramref name="sessionId"/>, and when it expires.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(Account account, Guid sessionId)
    {
        var now = clock.GetUtcNow();
        var expiresAt = now + Lifetime;
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Value.Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            SigningCredentials = new SigningCredentials(keys.Current, SigningKeys.Algorithm),
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = account.UserId.ToString(),
                [JwtRegisteredClaimNames.Email] = account.Email,
                ["role"] = Audience,
                ["session_id"] = sessionId.ToString(),
                ["aal"] = "aal1",
                ["is_anonymous"] = false,
                ["app_metadata"] = JsonSerializer.SerializeToElement(AppMetadata.Of(account), IdentityJson.Options),
                ["user_metadata"] = JsonSerializer.SerializeToElement(new Dictionary<string, object>()),
            },
        });
        return (token, expiresAt);
    }

    /// <summary>The token's user and session if this service signed it and it is still valid; null otherwise.</summary>
    public async Task<(Guid UserId, Guid SessionId)?> ValidateAsync(string token)
    {
        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = settings.Value.Issuer,
            ValidAudience = Audience,
            IssuerSigningKeys = keys.All,
            ValidAlgorithms = [SigningKeys.Algorithm],
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        if (!result.IsValid
            || result.SecurityToken is not JsonWebToken jwt
            || !Guid.TryParse(jwt.Subject, out var userId)
            || !jwt.TryGetPayloadValue<string>("session_id", out var session)
            || !Guid.TryParse(session, out var sessionId))
        {
            return null;
        }
        return (userId, sessionId);
    }
}

/// <summary>What the platform says about a user in its tokens, the part the user cannot edit.</summary>
public sealed record AppMetadata(string Provider, string[] Providers, string? OrgId, string? OrgRole, string[]? Sites)
{
    public static AppMetadata Of(Account account) =>
        new("email", ["email"], account.OrgId, account.OrgRole, account.Sites.Length == 0 ? null : account.Sites);
}
