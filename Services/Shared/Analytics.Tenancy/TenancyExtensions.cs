using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Analytics.Tenancy;

public static class TenancyExtensions
{
    /// <summary>The scheme every endpoint authenticates with: a user's token or an API key, whichever the request carries.</summary>
    public const string CallerScheme = "Caller";

    /// <summary>
    /// Authentication for every endpoint that requires authorization: an API key, or a person's
    /// access token from the source in <see cref="AuthSettings"/>; and the seeded keys.
    /// </summary>
    public static TBuilder AddCallerAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddValidatedSettings<ApiKeySettings>(ApiKeySettings.SectionName);
        builder.AddValidatedSettings<AuthSettings>(AuthSettings.SectionName);
        var auth = builder.ReadBeforeValidation<AuthSettings>(AuthSettings.SectionName);
        builder.Services.AddMemoryCache(options => options.SizeLimit = 100_000);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ApiKeyLookup>();
        builder.Services.AddSingleton<UserStatusLookup>();

        var authentication = builder.Services.AddAuthentication(CallerScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(CallerScheme, "API key or access token", options => options.ForwardDefaultSelector = context =>
                auth.Mode != TokenSource.None && CarriesJwt(context.Request) ? JwtValidation.SchemeName : ApiKeyAuthenticationHandler.SchemeName);
        if (auth.Mode != TokenSource.None)
        {
            authentication.AddJwtBearer(JwtValidation.SchemeName, _ => { });
            // A named client: service discovery and resilience like every other, for the keys and discovery documents.
            builder.Services.AddHttpClient(JwtValidation.SchemeName);
            builder.Services.AddOptions<JwtBearerOptions>(JwtValidation.SchemeName)
                .Configure<IOptions<AuthSettings>, IHttpClientFactory>((options, settings, http) =>
                    JwtValidation.Configure(options, settings.Value, http.CreateClient(JwtValidation.SchemeName)));
        }

        var authorization = builder.Services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(CallerScheme)
                .RequireClaim(CallerClaims.OrgId)
                .Build());
        Permissions.AddPolicies(authorization, CallerScheme);
        builder.Services.AddSingleton<IAuthorizationHandler, PermissionHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, CallerAuthorizationResults>();
        builder.Services.AddHostedService<ApiKeySeeder>();
        return builder;
    }

    /// <summary>
    /// A JWT is three base64url parts joined by dots; an API key has none (its alphabet has no
    /// dot), so the shape alone picks the handler. A key in <c>X-Api-Key</c> is always a key.
    /// </summary>
    public static bool CarriesJwt(HttpRequest request)
    {
        if (request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName))
        {
            return false;
        }
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && LooksLikeJwt(authorization.AsSpan("Bearer ".Length).Trim());
    }

    public static bool LooksLikeJwt(ReadOnlySpan<char> value) => value.Count('.') == 2 && value[0] != '.' && value[^1] != '.' && !value.Contains("..", StringComparison.Ordinal);

    /// <summary>Creates the configured seed keys before the service starts taking requests.</summary>
    private sealed class ApiKeySeeder(ApiKeyLookup store, IOptions<ApiKeySettings> settings) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            foreach (var seed in settings.Value.Seed)
            {
                await store.SeedAsync(seed, cancellationToken);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
