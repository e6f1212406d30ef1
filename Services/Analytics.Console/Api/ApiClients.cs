using Analytics.Console.Sessions;
using Microsoft.Extensions.Http.Resilience;

namespace Analytics.Console.Api;

public static class ApiClients
{
    /// <summary>
    /// The API and the sign-in service. Reads are retried on transient faults as everywhere; actions
    /// are not (a retried comment would be written twice), and neither is anything sent to the sign-in
    /// service (a refresh token is good for one use). The change feed streams for as long as a screen
    /// is open, so it has no timeout.
    /// </summary>
    // RemoveAllResilienceHandlers is marked for evaluation; it is how a client opts out of the
    // defaults every service's HttpClients get (ServiceDefaults), which retry every method.
#pragma warning disable EXTEXP0001
    public static IHostApplicationBuilder AddConsoleApiClients(this IHostApplicationBuilder builder, ConsoleSettings settings)
    {
        builder.Services.AddHttpClient<AnalyticsApi>(http => http.BaseAddress = WithSlash(settings.ApiUrl))
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(options => options.Retry.DisableForUnsafeHttpMethods());
        builder.Services.AddHttpClient<IdentityClient>(http => http.BaseAddress = WithSlash(settings.IdentityUrl))
            .RemoveAllResilienceHandlers();
        builder.Services.AddHttpClient(IncidentFeed.ClientName, http =>
            {
                http.BaseAddress = WithSlash(settings.ApiUrl);
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RemoveAllResilienceHandlers();
        builder.Services.AddScoped<IncidentFeed>();
        return builder;
    }
#pragma warning restore EXTEXP0001

    private static Uri WithSlash(string url) => new(url.EndsWith('/') ? url : url + "/");
}
