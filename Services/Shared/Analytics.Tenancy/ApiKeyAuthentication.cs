using System.Security.Claims;
using System.Text.Encodings.Web;
using Analytics.Schemas.Contracts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Analytics.Tenancy;

/// <summary>
/// Authenticates a request by its API key (<c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>)
/// and makes the key's organization the caller's only organization.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyLookup keys,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The header a key may come in besides <c>Authorization: Bearer</c>.</summary>
    public const string HeaderName = "X-Api-Key";
    public const string OrgIdClaim = "org_id";

    /// <summary>Who acted, for audit trails: a short fingerprint of the key, never the key itself.</summary>
    public const string ActorClaim = "actor";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request);
        if (key is null)
        {
            return AuthenticateResult.NoResult();
        }
        var hash = ApiKeys.Hash(key);
        if (await keys.FindAsync(hash, Context.RequestAborted) is not { } grant)
        {
            return AuthenticateResult.Fail("Unknown, expired or revoked API key");
        }
        var identity = new ClaimsIdentity(
            [
                new Claim(OrgIdClaim, grant.OrgId),
                new Claim(ActorClaim, ApiKeys.Actor(hash)),
                new Claim(CallerClaims.KeyId, grant.KeyId.ToString()),
                .. grant.Scopes.Select(scope => new Claim(CallerClaims.Scope, scope)),
                .. grant.ExpiresAt is { } expires ? [new Claim(CallerClaims.KeyExpiresAt, expires.ToString("O", System.Globalization.CultureInfo.InvariantCulture))] : Array.Empty<Claim>(),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return CallerProblems.WriteAsync(Context, problems, StatusCodes.Status401Unauthorized, "An API key is required",
            "Send your organization's API key as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'; the key given is missing, unknown, expired or revoked.");
    }

    /// <summary>A fallback: the authorization result handler writes the 403 that names what was missing.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        CallerProblems.WriteForbiddenAsync(Context, problems, "The key's scopes do not allow this.");

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header) && !string.IsNullOrWhiteSpace(header))
        {
            return header.ToString().Trim();
        }
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization["Bearer ".Length..].Trim()
            : null;
    }
}

/// <summary>The 401 and 403 answers of both handlers, as problem+json like every error.</summary>
internal static class CallerProblems
{
    /// <summary>Authenticated, but not allowed to do this.</summary>
    public static Task WriteForbiddenAsync(HttpContext context, IProblemDetailsService problems, string detail) =>
        WriteAsync(context, problems, StatusCodes.Status403Forbidden, "Not allowed", detail);

    public static Task WriteAsync(HttpContext context, IProblemDetailsService problems, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }
}

public static class OrganizationPrincipal
{
    /// <summary>The organization of the authenticated caller; every query of the request is scoped to it.</summary>
    public static string OrgId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.OrgIdClaim)
        ?? throw new InvalidOperationException("The request is not authenticated");

    /// <summary>Who the caller is in audit records, e.g. an incident's history.</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.ActorClaim)
        ?? throw new InvalidOperationException("The request is not authenticated");

    /// <summary>A user's role in the organization; null for an API key.</summary>
    public static string? OrgRole(this ClaimsPrincipal user) => user.FindFirstValue(CallerClaims.OrgRole);

    /// <summary>
    /// The sites a user is limited to; null when the caller reaches every site: an API key, an
    /// owner or admin (whatever a token from another issuer lists), or a user with none listed.
    /// </summary>
    public static IReadOnlySet<string>? SiteLimit(this ClaimsPrincipal user)
    {
        if (user.OrgRole() is null or OrgRoles.Owner or OrgRoles.Admin)
        {
            return null;
        }
        var sites = user.FindAll(CallerClaims.Site).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return sites.Count == 0 ? null : sites;
    }

    /// <summary>Whether the caller may see and touch things of <paramref name="siteId"/>.</summary>
    public static bool MayReach(this ClaimsPrincipal user, string? siteId) => user.SiteLimit().Reaches(siteId);

    /// <summary>The items of sites the caller reaches; the limit is read from the claims once for the whole list.</summary>
    public static T[] WithinReach<T>(this IEnumerable<T> items, ClaimsPrincipal user, Func<T, string?> siteOf)
    {
        var limit = user.SiteLimit();
        return [.. items.Where(item => limit.Reaches(siteOf(item)))];
    }

    private static bool Reaches(this IReadOnlySet<string>? siteLimit, string? siteId) =>
        siteLimit is null || (siteId is not null && siteLimit.Contains(siteId));

    /// <summary>The user id of a user's token; null for an API key.</summary>
    public static Guid? UserId(this ClaimsPrincipal user) =>
        user.FindFirstValue(CallerClaims.OrgRole) is not null && Guid.TryParse(user.FindFirstValue(CallerClaims.UserId), out var id) ? id : null;
}
