using System.Security.Cryptography;
using Analytics.Data.Identity;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace Analytics.Identity.Accounts;

/// <summary>
/// Passwords through ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2, salted,
/// versioned): this service never hashes or compares one itself.
/// </summary>
public sealed class Passwords(NpgsqlDataSource dataSource, IPasswordHasher<Account> hasher)
{
    private static readonly Account Nobody = new();

    // An unknown address costs the same hashing as a wrong password, so the time of the answer
    // does not tell which addresses have accounts.
    private readonly string _decoyHash = hasher.HashPassword(Nobody, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));

    public string Hash(string password) => hasher.HashPassword(Nobody, password);

    /// <summary>Whether <paramref name="password"/> is the one <paramref name="passwordHash"/> was made from.</summary>
    public bool Matches(string passwordHash, string password) =>
        hasher.VerifyHashedPassword(Nobody, passwordHash, password) != PasswordVerificationResult.Failed;

    /// <summary>The account when the password is its own; null for an unknown address or a wrong password alike.</summary>
    public async Task<Account?> SignInAsync(string email, string password, CancellationToken cancellationToken)
    {
        var account = await UserStore.AccountByEmailAsync(dataSource, email.Trim(), cancellationToken);
        var result = hasher.VerifyHashedPassword(account ?? Nobody, account?.PasswordHash ?? _decoyHash, password);
        if (account is null || result == PasswordVerificationResult.Failed)
        {
            return null;
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await UserStore.SetPasswordHashAsync(dataSource, account.UserId, hasher.HashPassword(account, password), cancellationToken);
        }
        return account;
    }
}
