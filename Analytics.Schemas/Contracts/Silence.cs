using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// A time-limited mute: incidents that match every given matcher while the silence is active are
/// still recorded, marked silenced, and not notified.
/// </summary>
[Description("A time-limited mute of incident notifications.")]
public sealed record Silence
{
    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Silence id.")]
    public required string SilenceId { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Organization that owns the silence.")]
    public required string OrgId { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Only incidents on this site.")]
    public string? SiteId { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Only incidents of this camera.")]
    public string? CameraId { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Only incidents in this zone.")]
    public string? ZoneId { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Only incidents of this kind, e.g. loitering.")]
    public string? Kind { get; init; }

    [Description("When the silence starts, UTC.")]
    public required DateTimeOffset StartsAt { get; init; }

    [Description("When the silence ends, UTC; after startsAt.")]
    public required DateTimeOffset EndsAt { get; init; }

    [MaxLength(2000), Description("Why the silence was set.")]
    public string? Comment { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Who set it.")]
    public required string CreatedBy { get; init; }

    [Description("When it was set, UTC.")]
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Whether an incident at this place and of this kind is muted at <paramref name="at"/>.</summary>
    public bool Matches(string siteId, string? cameraId, string? zoneId, string kind, DateTimeOffset at) =>
        at >= StartsAt && at < EndsAt
        && (SiteId is null || SiteId == siteId)
        && (CameraId is null || CameraId == cameraId)
        && (ZoneId is null || ZoneId == zoneId)
        && (Kind is null || Kind == kind);
}
