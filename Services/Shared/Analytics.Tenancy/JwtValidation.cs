using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Analytics.Tenancy;

/// <summary>
/// ASP.NET Core's JWT bearer handler set up for the configured token source
/// (<see cref="AuthSettings.Mode"/>): which keys, issuer, audience and algorithms a token must
/// have, then the caller read from its claims (<see cref="TokenClaims"/>) and refused if the user
/// is disabled (<see cref="UserStatusLookup"/>). Every refusal is a 401 problem+json.
/// </summary>
public static class JwtValidation
{
    public const string SchemeName = "Jwt";

    /// <summary>Asymmetric algorithms only, so a token signed with HS256 and a public key as its secret is refused.</summary>
    private static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
    ];

    /// <summary>
    /// What every token must satisfy, without the keys a JWKS or discovery document supplies: for
    /// the legacy Supabase secret the key is here too. No I/O, so a test checks the rules directly.
    /// </summary>
    public static TokenValidationParameters Parameters(AuthSettings settings)
    {
        var parameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = settings.ExpectedIssuer,
            ValidateAudience = true,
            ValidAudience = settings.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromSeconds(settings.ClockSkewSeconds),
            ValidAlgorithms = AsymmetricAlgorithms,
        };
        if (settings is { Mode: TokenSource.Supabase, JwtSecret: { Length: > 0 } secret })
        {
            parameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret));
            parameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
        return parameters;
    }

    /// <summary>The JWKS document tokens are checked against, for the sources that publish one without discovery.</summary>
    public static string? JwksUrl(AuthSettings settings) => settings switch
    {
        { Mode: TokenSource.Local } => settings.JwksUrl,
        { Mode: TokenSource.Supabase, JwtSecret: null or "" } => settings.SupabaseAuthUrl + "/.well-known/jwks.json",
        _ => null,
    };

    /// <summary>Sets up the handler's options; <paramref name="backchannel"/> fetches keys and discovery documents.</summary>
    public static void Configure(JwtBearerOptions options, AuthSettings settings, HttpClient backchannel)
    {
        options.MapInboundClaims = false;
        options.TokenValidationParameters = Parameters(settings);
        if (JwksUrl(settings) is { } jwks)
        {
            options.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                jwks,
                new JwksRetriever(settings.ExpectedIssuer),
                new HttpDocumentRetriever(backchannel) { RequireHttps = jwks.StartsWith("https:", StringComparison.OrdinalIgnoreCase) });
        }
        else if (settings.Mode == TokenSource.Oidc)
        {
            options.Authority = settings.Authority;
            options.RequireHttpsMetadata = settings.Authority!.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
            options.Backchannel = backchannel;
        }

        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = context => OnTokenValidatedAsync(context, settings),
            OnChallenge = WriteChallengeAsync,
            OnForbidden = context => CallerProblems.WriteForbiddenAsync(
                context.HttpContext,
                context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>(),
                $"Your role ({context.HttpContext.User.OrgRole() ?? "none"}) may not do this in your organization."),
        };
    }

    private static async Task OnTokenValidatedAsync(TokenValidatedContext context, AuthSettings settings)
    {
        if (context.SecurityToken is not JsonWebToken token)
        {
            context.Fail(new TokenRefusedException("The token could not be read."));
            return;
        }
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedPayload));
        var (caller, refusal) = TokenClaims.Read(payload.RootElement, settings);
        if (caller is null)
        {
            context.Fail(new TokenRefusedException(refusal!));
            return;
        }
        // Only the platform's own identity service keeps users here; a Supabase or OIDC user is
        // disabled at its issuer, so asking this database would cost a round trip for nothing.
        if (settings.Mode == TokenSource.Local
            && await context.HttpContext.RequestServices.GetRequiredService<UserStatusLookup>().IsDisabledAsync(caller.Subject, context.HttpContext.RequestAborted))
        {
            context.Fail(new TokenRefusedException("The user is disabled."));
            return;
        }
        context.Principal = caller.ToPrincipal(SchemeName);
    }

    private static Task WriteChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        var detail = context.AuthenticateFailure switch
        {
            TokenRefusedException refused => refused.Message,
            _ when !string.IsNullOrEmpty(context.ErrorDescription) => context.ErrorDescription,
            null => "Send a user's access token as 'Authorization: Bearer TOKEN'.",
            _ => "The token is malformed or not signed by a trusted key.",
        };
        return CallerProblems.WriteAsync(context.HttpContext, context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>(),
            StatusCodes.Status401Unauthorized, "The access token was refused", detail);
    }

    /// <summary>A token that is valid as a JWT but names no caller the platform accepts; its message is shown to the caller.</summary>
    private sealed class TokenRefusedException(string message) : Exception(message);

    /// <summary>Reads a bare JWKS document (Supabase's and the identity service's) as the handler's configuration.</summary>
    private sealed class JwksRetriever(string? issuer) : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var keys = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel));
            var configuration = new OpenIdConnectConfiguration { Issuer = issuer, JsonWebKeySet = keys };
            foreach (var key in keys.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }
            return configuration;
        }
    }
}
