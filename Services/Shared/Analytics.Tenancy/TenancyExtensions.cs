using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Analytics.Tenancy;

public static class TenancyExtensions
{
    /// <summary>API-key authentication for every endpoint that requires authorization, and the seeded keys.</summary>
    public static TBuilder AddApiKeyAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddValidatedSettings<ApiKeySettings>(ApiKeySettings.SectionName);
        builder.Services.AddMemoryCache(options => options.SizeLimit = 100_000);
        builder.Services.AddSingleton<ApiKeyLookup>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName)
                .RequireClaim(ApiKeyAuthenticationHandler.OrgIdClaim)
                .Build());
        builder.Services.AddHostedService<ApiKeySeeder>();
        return builder;
    }

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
