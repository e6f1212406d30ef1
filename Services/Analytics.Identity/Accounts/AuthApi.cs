using System.Text.Json;
using System.Text.Json.Serialization;
using Analytics.Data.Identity;
using Analytics.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Identity.Accounts;

/// <summary>The body of <c>POST /auth/v1/token</c>: e-mail and password, or a refresh token.</summary>
public sealed record TokenRequest(
    string? Email = null,
    string? Password = null,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken = null);

/// <summary>The body of <c>POST /auth/v1/invite/accept</c>: the invitation's one-time token and the password to set.</summary>
public sealed record InvitationAcceptance(string Token, string Password);

/// <summary>A session as GoTrue answers it, so a Supabase client reads ours unchanged.</summary>
public sealed record Session(string AccessToken, string TokenType, int ExpiresIn, long ExpiresAt, string RefreshToken, SessionUser User);

public sealed record SessionUser(Guid Id, string Aud, string Role, string Email, AppMetadata AppMetadata, IReadOnlyDictionary<string, object> UserMetadata);

/// <summary>JSON of the GoTrue-shaped answers: snake_case, absent rather than null.</summary>
public static class IdentityJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>
/// Sign-in, refresh, sign-out and the public keys at the paths Supabase's GoTrue serves them, so
/// the API and a Supabase client see no difference; and accepting an invitation, which sets the
/// invited user's password. Every error is problem+json, with GoTrue's error code in <c>error</c>.
/// </summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth/v1").WithTags("Auth");

        auth.MapPost("/token", TokenAsync).WithName("Token").WithSummary("Sign in with e-mail and password, or trade a refresh token for a new session");
        auth.MapPost("/logout", LogoutAsync).WithName("Logout").WithSummary("Sign out: revoke the refresh tokens of every session of the user (scope=global) or of this one (scope=local)");
        auth.MapGet("/.well-known/jwks.json", (SigningKeys keys) => TypedResults.Json(keys.Jwks())).WithName("Jwks").WithSummary("The public keys access tokens are signed with");
        auth.MapPost("/invite/accept", AcceptInvitationAsync).WithName("AcceptInvitation").WithSummary("Set the password of an invited user and sign in");
        return app;
    }

    public static async Task<Results<JsonHttpResult<Session>, ProblemHttpResult>> TokenAsync(
        HttpContext context, NpgsqlDataSource dataSource, AccessTokens tokens, Passwords passwords, IOptions<IdentitySettings> settings, TimeProvider clock,
        [FromQuery(Name = "grant_type")] string? grantType, TokenRequest request)
    {
        var cancellationToken = context.RequestAborted;
        switch (grantType)
        {
            case "password":
                if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password))
                {
                    return InvalidGrant("E-mail and password are required.");
                }
                var account = await passwords.SignInAsync(request.Email, request.Password, cancellationToken);
                if (account is null)
                {
                    return InvalidGrant("Invalid login credentials.");
                }
                if (account.DisabledAt is not null)
                {
                    return InvalidGrant("The account is disabled.", "user_banned");
                }
                return await NewSessionAsync(dataSource, tokens, settings.Value, clock, account, Guid.CreateVersion7(), cancellationToken);

            case "refresh_token":
                if (string.IsNullOrWhiteSpace(request.RefreshToken))
                {
                    return InvalidGrant("refresh_token is required.");
                }
                var next = SecretTokens.Generate();
                var (verdict, refreshed, sessionId) = await UserStore.RotateRefreshTokenAsync(
                    dataSource, SecretTokens.Hash(request.RefreshToken), SecretTokens.Hash(next),
                    clock.GetUtcNow().AddDays(settings.Value.RefreshTokenDays), clock.GetUtcNow(), cancellationToken);
                return verdict switch
                {
                    RefreshTokenVerdict.Rotate when refreshed is { OrgId: not null } => SessionOf(tokens, refreshed, sessionId, next),
                    RefreshTokenVerdict.Rotate => InvalidGrant("The account belongs to no organization."),
                    RefreshTokenVerdict.Reused => InvalidGrant("The refresh token was already used; its session is revoked. Sign in again.", "refresh_token_already_used"),
                    RefreshTokenVerdict.Disabled => InvalidGrant("The account is disabled.", "user_banned"),
                    RefreshTokenVerdict.Expired => InvalidGrant("The refresh token expired. Sign in again."),
                    _ => InvalidGrant("Invalid refresh token.", "refresh_token_not_found"),
                };

            default:
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: "Unsupported grant type",
                    detail: $"grant_type must be 'password' or 'refresh_token', was '{grantType}'.",
                    extensions: new Dictionary<string, object?> { ["error"] = "unsupported_grant_type" });
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> LogoutAsync(
        HttpContext context, NpgsqlDataSource dataSource, AccessTokens tokens, [FromQuery] string? scope)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var caller = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await tokens.ValidateAsync(authorization["Bearer ".Length..].Trim())
            : null;
        if (caller is not { } signedIn)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "A valid access token is required",
                detail: "Send the access token of the session to end as 'Authorization: Bearer TOKEN'.",
                extensions: new Dictionary<string, object?> { ["error"] = "invalid_token" });
        }
        Guid? session = scope switch
        {
            null or "" or "global" => null,
            "local" => signedIn.SessionId,
            _ => Guid.Empty,
        };
        if (session == Guid.Empty)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest, title: "Unknown scope", detail: $"scope must be 'global' or 'local', was '{scope}'.");
        }
        await UserStore.RevokeRefreshTokensAsync(dataSource, signedIn.UserId, session, context.RequestAborted);
        return TypedResults.NoContent();
    }

    public static async Task<Results<JsonHttpResult<Session>, ProblemHttpResult>> AcceptInvitationAsync(
        HttpContext context, NpgsqlDataSource dataSource, AccessTokens tokens, Passwords passwords, IOptions<IdentitySettings> settings, TimeProvider clock,
        InvitationAcceptance request)
    {
        if (string.IsNullOrEmpty(request.Password) || request.Password.Length < IdentitySettings.MinPasswordLength)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "The password is too short",
                detail: $"A password needs at least {IdentitySettings.MinPasswordLength} characters.",
                extensions: new Dictionary<string, object?> { ["error"] = "weak_password" });
        }
        var acceptance = await UserStore.AcceptInvitationAsync(
            dataSource, SecretTokens.Hash(request.Token ?? ""), passwords.Hash(request.Password), context.RequestAborted);
        return acceptance switch
        {
            { Account: { } account } => await NewSessionAsync(dataSource, tokens, settings.Value, clock, account, Guid.CreateVersion7(), context.RequestAborted),
            { Refusal: AcceptanceRefusal.AlreadyMember } => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "The address already has an account",
                detail: "An account with this e-mail address already belongs to an organization; the invitation was not used.",
                extensions: new Dictionary<string, object?> { ["error"] = "email_exists" }),
            _ => TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid invitation",
                detail: "The invitation token is unknown, used or expired. Ask for a new invitation.",
                extensions: new Dictionary<string, object?> { ["error"] = "otp_expired" }),
        };
    }

    private static async Task<Results<JsonHttpResult<Session>, ProblemHttpResult>> NewSessionAsync(
        NpgsqlDataSource dataSource, AccessTokens tokens, IdentitySettings settings, TimeProvider clock, Account account, Guid sessionId,
        CancellationToken cancellationToken)
    {
        if (account.OrgId is null)
        {
            return InvalidGrant("The account belongs to no organization.");
        }
        var refreshToken = SecretTokens.Generate();
        await UserStore.IssueRefreshTokenAsync(
            dataSource,
            new NewRefreshToken(SecretTokens.Hash(refreshToken), account.OrgId, account.UserId, sessionId, clock.GetUtcNow().AddDays(settings.RefreshTokenDays)),
            cancellationToken);
        return SessionOf(tokens, account, sessionId, refreshToken);
    }

    private static JsonHttpResult<Session> SessionOf(AccessTokens tokens, Account account, Guid sessionId, string refreshToken)
    {
        var (accessToken, expiresAt) = tokens.Issue(account, sessionId);
        var session = new Session(
            accessToken,
            "bearer",
            (int)tokens.Lifetime.TotalSeconds,
            expiresAt.ToUnixTimeSeconds(),
            refreshToken,
            new SessionUser(account.UserId, AccessTokens.Audience, AccessTokens.Audience, account.Email, AppMetadata.Of(account), new Dictionary<string, object>()));
        return TypedResults.Json(session, IdentityJson.Options);
    }

    /// <summary>GoTrue answers a failed grant with 400 and <c>invalid_grant</c>; so do we, as problem+json.</summary>
    private static ProblemHttpResult InvalidGrant(string detail, string error = "invalid_grant") => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: "Sign-in refused",
        detail: detail,
        extensions: new Dictionary<string, object?> { ["error"] = error });
}
