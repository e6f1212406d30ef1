using System.ComponentModel;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// A place with cameras, e.g. one store, school or warehouse. Its time zone is the local time
/// operators think in, so reports and schedules about the site can be read as local time.
/// </summary>
[Description("Place with cameras (a store, a school, a warehouse) of one organization.")]
[ContractRule<SiteRule>]
public sealed record Site
{
    [Id, Description("Organization that owns the site.")]
    public required string OrgId { get; init; }

    [Id, Description("Site id, unique within the organization.")]
    public required string SiteId { get; init; }

    [Id, Description("Name shown to operators.")]
    public required string Name { get; init; }

    [Id, Description("IANA time zone id of the site, e.g. Europe/Berlin.")]
    public required string TimeZone { get; init; }

    [Text, Description("Postal address. Omitted: none recorded.")]
    public string? Address { get; init; }

    [Text, Description("Notes for operators. Omitted: none.")]
    public string? Description { get; init; }
}

/// <summary>A site's time zone is one the platform can resolve.</summary>
internal sealed class SiteRule : IContractRule<Site>
{
    public void Check(Site site, ContractContext context) => ActiveHoursRule.IanaTimeZone(context, "timeZone", site.TimeZone);
}
