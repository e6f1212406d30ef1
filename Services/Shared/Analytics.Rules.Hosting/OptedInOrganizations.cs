using Analytics.Data.Tenancy;
using Npgsql;

namespace Analytics.Rules.Hosting;

/// <summary>
/// The organizations a rule service may serve when its domain is an opt-in (education): read once
/// per page of the log, like the zones, so an organization that turns education on or off is
/// served or left alone from the next page on. Until it opts in, its entries are never fed to the
/// rules, so nothing is inferred from them, not even open state.
/// </summary>
public sealed class OptedInOrganizations(NpgsqlDataSource dataSource)
{
    public async ValueTask<IReadOnlySet<string>> CurrentAsync(CancellationToken cancellationToken) =>
        await OrganizationStore.EducationOrganizationsAsync(dataSource, cancellationToken);
}
