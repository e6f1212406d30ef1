using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Analytics.Console.Sessions;

/// <summary>
/// The cookie that ties a browser to its server-side session, and sign-out. Sign-in itself is the
/// sign-in page's form (Components/Pages/SignIn.razor), which calls <see cref="SignInAsync"/>.
/// </summary>
public static class SignInEndpoints
{
    public const string SignInPath = "/signin";

    public static IServiceCollection AddConsoleSignIn(this IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.LoginPath = SignInPath;
                options.Cookie.Name = "analytics-console";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.SlidingExpiration = true;
                // A session that ended on the server (signed out, refused a refresh, idle, the
                // console restarted) takes the cookie with it.
                options.Events.OnValidatePrincipal = context =>
                {
                    var sessions = context.HttpContext.RequestServices.GetRequiredService<ConsoleSessions>();
                    if (sessions.Find(context.Principal?.FindFirstValue(CurrentSession.SessionIdClaim)) is null)
                    {
                        context.RejectPrincipal();
                        return context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                    }
                    return Task.CompletedTask;
                };
            });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddScoped<CurrentSession>();
        return services;
    }

    /// <summary>Signs the person in at the identity service and gives the browser the cookie of the new session.</summary>
    public static async Task SignInAsync(HttpContext context, string email, string password)
    {
        var session = await context.RequestServices.GetRequiredService<ConsoleSessions>().SignInAsync(email, password, context.RequestAborted);
        var identity = new ClaimsIdentity(
            [
                new Claim(CurrentSession.SessionIdClaim, session.Id),
                new Claim(ClaimTypes.NameIdentifier, session.User.UserId),
                new Claim(ClaimTypes.Name, session.User.Email),
                new Claim(ClaimTypes.Role, session.User.Role),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }

    public static IEndpointRouteBuilder MapSignOut(this IEndpointRouteBuilder app)
    {
        app.MapPost("/signout", async (HttpContext context, ConsoleSessions sessions) =>
        {
            await sessions.SignOutAsync(context.User.FindFirstValue(CurrentSession.SessionIdClaim), context.RequestAborted);
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.LocalRedirect(SignInPath);
        });
        return app;
    }
}
