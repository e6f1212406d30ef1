using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// A place with cameras, e.g. one store, school or warehouse. Its time zone is the local time
/// operators think in, so reports and schedules about the site can be read as local time.
/// </summary>
[Description("Place with cameras (a store, a school, a warehouse) of one organization.")]
public sealed record Site
{
    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Organization that owns the site.")]
    public required string OrgId { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Site id, unique within the organization.")]
    public required string SiteId { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Name shown to operators.")]
    public required string Name { get; init; }

    [Required, MinLength(1), Description("IANA time zone id of the site, e.g. Europe/Berlin.")]
    public required string TimeZone { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxTextLength), Description("Postal address. Omitted: none recorded.")]
    public string? Address { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxTextLength), Description("Notes for operators. Omitted: none.")]
    public string? Description { get; init; }
}
