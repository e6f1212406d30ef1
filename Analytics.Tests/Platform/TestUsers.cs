using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Data.Identity;
using Analytics.Schemas;
using Microsoft.AspNetCore.Identity;

namespace Analytics.Tests.Platform;

/// <summary>A person signed in at the identity service: its id, access token and the whole session GoTrue answered.</summary>
public sealed record TestUser(Guid UserId, string Email, string AccessToken, JsonElement Session);

/// <summary>People of a test's own organization, created as the identity service seeds its first owner, then signed in.</summary>
public static class TestUsers
{
    public const string Password = "a-long-enough-password-1234";

    /// <summary>A new member of <paramref name="orgId"/> with <paramref name="role"/>, limited to <paramref name="sites"/> if any, signed in.</summary>
    public static async Task<TestUser> AddAsync(this PlatformFixture platform, string orgId, string role, params string[] sites)
    {
        var email = $"{role}-{Guid.NewGuid():N}@example.com";
        await using (var dataSource = await platform.CreateDataSourceAsync())
        {
            await UserStore.SeedAsync(dataSource, orgId, email, role, new PasswordHasher<Account>().HashPassword(new Account(), Password), _ => false, CancellationToken.None);
        }
        if (sites.Length > 0)
        {
            await platform.ExecuteAsync(
                $"UPDATE memberships SET sites = ARRAY[{string.Join(", ", sites.Select(s => $"'{s}'"))}] " +
                "WHERE org_id = $1 AND user_id = (SELECT user_id FROM users WHERE email = '" + email + "')", orgId);
        }
        var session = await SignInAsync(platform, email);
        return new TestUser(session.GetProperty("user").GetProperty("id").GetGuid(), email, session.GetProperty("access_token").GetString()!, session);
    }

    /// <summary>The session GoTrue's password grant answers.</summary>
    public static async Task<JsonElement> SignInAsync(this PlatformFixture platform, string email, string password = Password)
    {
        using var response = await platform.SignInResponseAsync(email, password);
        await ProblemAssert.SucceededAsync(response);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>GoTrue's password grant's answer, whatever it is.</summary>
    public static async Task<HttpResponseMessage> SignInResponseAsync(this PlatformFixture platform, string email, string password = Password)
    {
        using var identity = platform.CreateClient(ResourceNames.Identity);
        return await identity.PostAsJsonAsync("/auth/v1/token?grant_type=password", new { email, password });
    }
}
