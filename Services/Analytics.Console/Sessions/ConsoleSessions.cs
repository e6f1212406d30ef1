using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Analytics.Console.Sessions;

/// <summary>
/// Signed-in browsers, kept on the server: the browser's cookie holds only a random session id, so
/// no token reaches the browser and none can be read from it. Every page and every live screen of
/// one browser shares one session, so a refresh (whose token is good for one use) happens once.
/// A restart of the console signs everyone out; Blazor's circuits need a sticky instance anyway.
/// </summary>
public sealed class ConsoleSessions(IdentityClient identity, TimeProvider clock, IOptions<ConsoleSettings> settings, ILogger<ConsoleSessions> logger)
{
    /// <summary>A token this close to expiry is refreshed before use, so a request never carries one that lapses on the way.</summary>
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan RefreshTimeout = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, ConsoleSession> _sessions = new(StringComparer.Ordinal);

    public async Task<ConsoleSession> SignInAsync(string email, string password, CancellationToken cancellationToken)
    {
        var issued = await identity.SignInAsync(email, password, cancellationToken);
        ForgetIdle();
        var session = new ConsoleSession(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), issued, clock.GetUtcNow());
        _sessions[session.Id] = session;
        return session;
    }

    /// <summary>The live session with this id, or null when it ended (signed out, refused a refresh, idle too long).</summary>
    public ConsoleSession? Find(string? id)
    {
        if (id is null || !_sessions.TryGetValue(id, out var session))
        {
            return null;
        }
        if (clock.GetUtcNow() - session.LastUsed > IdleLimit)
        {
            _sessions.TryRemove(id, out _);
            return null;
        }
        return session;
    }

    /// <summary>A valid access token for the session, refreshed first when it is about to lapse; null when the session ended.</summary>
    public async Task<string?> AccessTokenAsync(ConsoleSession session, CancellationToken cancellationToken)
    {
        session.LastUsed = clock.GetUtcNow();
        if (session.Tokens.ExpiresAt - clock.GetUtcNow() > RefreshMargin)
        {
            return session.Tokens.AccessToken;
        }
        await session.Refreshing.WaitAsync(cancellationToken);
        try
        {
            if (session.Tokens.ExpiresAt - clock.GetUtcNow() > RefreshMargin)
            {
                return session.Tokens.AccessToken;
            }
            // Not the caller's token: a refresh abandoned after the identity service rotated the
            // token would leave the spent one here, and its reuse would end the session.
            using var timeout = new CancellationTokenSource(RefreshTimeout);
            session.Tokens = await identity.RefreshAsync(session.Tokens.RefreshToken, timeout.Token);
            return session.Tokens.AccessToken;
        }
        catch (SignInRefusedException refused)
        {
            // Revoked, disabled or expired: the person signs in again.
            logger.LogInformation("Session of {UserId} ended: the refresh was refused ({Reason})", session.Tokens.User.UserId, refused.Message);
            _sessions.TryRemove(session.Id, out _);
            return null;
        }
        finally
        {
            session.Refreshing.Release();
        }
    }

    public async Task SignOutAsync(string? id, CancellationToken cancellationToken)
    {
        if (id is null || Find(id) is not { } session)
        {
            return;
        }
        try
        {
            // A fresh token, so the identity service accepts the sign-out and revokes the refresh token.
            if (await AccessTokenAsync(session, cancellationToken) is { } token)
            {
                await identity.SignOutAsync(token, cancellationToken);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            logger.LogWarning("Sign-out of {UserId} could not reach the identity service ({Reason}); its session ends here anyway", session.User.UserId, e.Message);
        }
        finally
        {
            _sessions.TryRemove(id, out _);
        }
    }

    private TimeSpan IdleLimit => TimeSpan.FromMinutes(settings.Value.SessionIdleMinutes);

    private void ForgetIdle()
    {
        var cutoff = clock.GetUtcNow() - IdleLimit;
        foreach (var (id, session) in _sessions)
        {
            if (session.LastUsed < cutoff)
            {
                _sessions.TryRemove(id, out _);
            }
        }
    }
}

/// <summary>One signed-in browser: its tokens (replaced at each refresh) and when it was last used.</summary>
public sealed class ConsoleSession(string id, IssuedSession tokens, DateTimeOffset signedInAt)
{
    public string Id { get; } = id;

    public IssuedSession Tokens { get; set; } = tokens;

    public ConsoleUser User => Tokens.User;

    public DateTimeOffset LastUsed { get; set; } = signedInAt;

    internal SemaphoreSlim Refreshing { get; } = new(1, 1);
}
