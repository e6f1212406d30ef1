using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Analytics.Console.Sessions;

/// <summary>The tokens GoTrue's token endpoint answers with, and who they belong to.</summary>
public sealed record IssuedSession(string AccessToken, string RefreshToken, DateTimeOffset ExpiresAt, ConsoleUser User);

/// <summary>Why sign-in or a refresh was refused, in GoTrue's words (e.g. "Invalid login credentials").</summary>
public sealed class SignInRefusedException(string message) : Exception(message);

/// <summary>
/// The sign-in service's token endpoint (Supabase GoTrue's shape, which the platform's identity
/// service serves): password sign-in, refresh and sign-out. No retries: a refresh token is good
/// for one use, and a retried refresh would look like a stolen token and end the session.
/// </summary>
public sealed class IdentityClient(HttpClient http, TimeProvider clock)
{
    public Task<IssuedSession> SignInAsync(string email, string password, CancellationToken cancellationToken) =>
        TokenAsync("password", new TokenRequest(email, password, null), cancellationToken);

    public Task<IssuedSession> RefreshAsync(string refreshToken, CancellationToken cancellationToken) =>
        TokenAsync("refresh_token", new TokenRequest(null, null, refreshToken), cancellationToken);

    /// <summary>Revokes this session's refresh token at the identity service; the access token lapses on its own.</summary>
    public async Task SignOutAsync(string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "logout?scope=local");
        request.Headers.Authorization = new("Bearer", accessToken);
        using var response = await http.SendAsync(request, cancellationToken);
    }

    private async Task<IssuedSession> TokenAsync(string grant, TokenRequest body, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync($"token?grant_type={grant}", body, cancellationToken);
        // Only a refusal ends a session; the service being down, busy or behind a failing proxy is
        // an outage, which the caller reports without signing anyone out.
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
        {
            throw new HttpRequestException($"The sign-in service answered {(int)response.StatusCode}.", null, response.StatusCode);
        }
        JsonElement json;
        try
        {
            json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
        catch (JsonException e)
        {
            throw new HttpRequestException("The sign-in service's answer was not JSON.", e, response.StatusCode);
        }
        if (!response.IsSuccessStatusCode)
        {
            var reason = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("detail", out var detail) ? detail.GetString()
                : json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error_description", out var description) ? description.GetString()
                : null;
            throw new SignInRefusedException(reason ?? $"Sign-in was refused ({(int)response.StatusCode}).");
        }
        var user = json.GetProperty("user");
        var metadata = user.GetProperty("app_metadata");
        return new IssuedSession(
            json.GetProperty("access_token").GetString()!,
            json.GetProperty("refresh_token").GetString()!,
            clock.GetUtcNow().AddSeconds(json.GetProperty("expires_in").GetInt32()),
            new ConsoleUser(
                user.GetProperty("id").GetString()!,
                user.GetProperty("email").GetString()!,
                metadata.TryGetProperty("org_id", out var org) ? org.GetString() ?? "" : "",
                metadata.TryGetProperty("org_role", out var role) ? role.GetString() ?? "" : "",
                metadata.TryGetProperty("sites", out var sites) && sites.ValueKind == JsonValueKind.Array
                    ? [.. sites.EnumerateArray().Select(s => s.GetString()!)]
                    : null));
    }

    private sealed record TokenRequest(
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("password")] string? Password,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken);
}
