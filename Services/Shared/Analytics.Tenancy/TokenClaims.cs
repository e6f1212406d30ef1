using System.Security.Claims;
using System.Text.Json;
using Analytics.Schemas.Contracts;

namespace Analytics.Tenancy;

/// <summary>The claims every authenticated caller has, whether it came with an API key or a user's token.</summary>
public static class CallerClaims
{
    /// <summary>The caller's only organization; every query of the request is scoped to it.</summary>
    public const string OrgId = ApiKeyAuthenticationHandler.OrgIdClaim;

    /// <summary>Who acted, for audit trails: <c>api-key:</c> and a fingerprint, or <c>user:</c> and the user id.</summary>
    public const string Actor = ApiKeyAuthenticationHandler.ActorClaim;

    /// <summary>A user's role in the organization (<see cref="OrgRoles"/>); API keys have none.</summary>
    public const string OrgRole = "org_role";

    /// <summary>One claim per site a user is limited to; none: every site.</summary>
    public const string Site = "site";

    /// <summary>The user id (the token's sub).</summary>
    public const string UserId = "sub";

    public const string Email = "email";

    /// <summary>One claim per scope an API key holds (<see cref="ApiKeyScopes"/>); users have none.</summary>
    public const string Scope = "scope";

    /// <summary>An API key's id, as the key list shows it.</summary>
    public const string KeyId = "key_id";

    /// <summary>When an API key expires (round-trip format); absent for a key without expiry.</summary>
    public const string KeyExpiresAt = "key_expires_at";
}

/// <summary>A user's token, read: who, in which organization, with which role and sites.</summary>
public sealed record TokenCaller(string Subject, string? Email, string OrgId, string OrgRole, IReadOnlyList<string> Sites)
{
    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        List<Claim> claims =
        [
            new(CallerClaims.OrgId, OrgId),
            new(CallerClaims.Actor, "user:" + Subject),
            new(CallerClaims.OrgRole, OrgRole),
            new(CallerClaims.UserId, Subject),
            .. Sites.Select(site => new Claim(CallerClaims.Site, site)),
        ];
        if (Email is not null)
        {
            claims.Add(new Claim(CallerClaims.Email, Email));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, CallerClaims.Email, CallerClaims.OrgRole));
    }
}

/// <summary>
/// Reads the caller out of a validated token's payload by the configured claim paths
/// (<see cref="AuthSettings.OrgIdClaim"/>, ...). No I/O: the signature, issuer, audience and
/// lifetime are checked before, and whether the user is disabled after.
/// </summary>
public static class TokenClaims
{
    /// <summary>The caller, or why the token cannot name one (a message safe to show the caller).</summary>
    public static (TokenCaller? Caller, string? Refusal) Read(JsonElement payload, AuthSettings settings)
    {
        if (!payload.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(sub.GetString()))
        {
            return (null, "The token names no user (sub).");
        }
        if (Find(payload, settings.OrgIdClaim) is not { ValueKind: JsonValueKind.String } org || string.IsNullOrWhiteSpace(org.GetString()))
        {
            return (null, $"The token names no organization in {settings.OrgIdClaim}.");
        }
        if (Find(payload, settings.RoleClaim) is not { ValueKind: JsonValueKind.String } role || !OrgRoles.IsKnown(role.GetString()))
        {
            return (null, $"The token carries no role in {settings.RoleClaim} (one of {string.Join(", ", OrgRoles.All)}).");
        }
        var sites = new List<string>();
        switch (Find(payload, settings.SitesClaim))
        {
            case null or { ValueKind: JsonValueKind.Null }:
                break;
            case { ValueKind: JsonValueKind.Array } array when array.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String):
                sites.AddRange(array.EnumerateArray().Select(s => s.GetString()!));
                break;
            default:
                return (null, $"{settings.SitesClaim} must be a list of site ids.");
        }
        var email = payload.TryGetProperty("email", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        return (new TokenCaller(sub.GetString()!, email, org.GetString()!, role.GetString()!, sites), null);
    }

    /// <summary>The value at a dotted path (<c>app_metadata.org_id</c>); a claim whose own name has dots is found too.</summary>
    private static JsonElement? Find(JsonElement payload, string path)
    {
        if (payload.TryGetProperty(path, out var whole))
        {
            return whole;
        }
        var current = payload;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return null;
            }
        }
        return current;
    }
}
