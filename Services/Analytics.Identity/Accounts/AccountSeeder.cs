using Analytics.Data.Identity;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Identity.Accounts;

/// <summary>
/// Creates the configured accounts (<see cref="IdentitySettings.Seed"/>) before the service takes
/// requests: on a local run, the owner of dev-org with the credentials the AppHost keeps in its
/// user secrets. Safe to repeat; a seed whose password changed replaces the stored hash.
/// </summary>
public sealed class AccountSeeder(NpgsqlDataSource dataSource, Passwords passwords, IOptions<IdentitySettings> settings) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var seed in settings.Value.Seed)
        {
            await UserStore.SeedAsync(
                dataSource, seed.OrgId, seed.Email.Trim(), seed.OrgRole, passwords.Hash(seed.Password),
                stored => !passwords.Matches(stored, seed.Password), cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
