using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace Analytics.Console.Sessions;

/// <summary>
/// The session of the person this page or live screen belongs to, found through the cookie's
/// session id. Scoped: one per request, and one per Blazor circuit.
/// </summary>
public sealed class CurrentSession(AuthenticationStateProvider authentication, ConsoleSessions sessions)
{
    public const string SessionIdClaim = "console_session";

    public async Task<ConsoleSession?> FindAsync()
    {
        var state = await authentication.GetAuthenticationStateAsync();
        return sessions.Find(state.User.FindFirstValue(SessionIdClaim));
    }

    /// <summary>The signed-in person; null once the session ended.</summary>
    public async Task<ConsoleUser?> UserAsync() => (await FindAsync())?.User;

    public async Task<string?> AccessTokenAsync(CancellationToken cancellationToken) =>
        await FindAsync() is { } session ? await sessions.AccessTokenAsync(session, cancellationToken) : null;
}
