using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// A time-limited mute: incidents that match every given matcher while the silence is active are
/// still recorded, marked silenced, and not notified.
/// </summary>
[Description("A time-limited mute of incident notifications.")]
[ContractRule<SilenceRule>]
public sealed record Silence
{
    [Id, Description("Silence id.")]
    public required string SilenceId { get; init; }

    [Id, Description("Organization that owns the silence.")]
    public required string OrgId { get; init; }

    [Id, Description("Only incidents on this site.")]
    public string? SiteId { get; init; }

    [Id, Description("Only incidents of this camera.")]
    public string? CameraId { get; init; }

    [Id, Description("Only incidents in this zone.")]
    public string? ZoneId { get; init; }

    [Id, Description("Only incidents of this kind, e.g. loitering.")]
    public string? Kind { get; init; }

    [Description("When the silence starts, UTC.")]
    public required DateTimeOffset StartsAt { get; init; }

    [Description("When the silence ends, UTC; after startsAt.")]
    public required DateTimeOffset EndsAt { get; init; }

    [MaxLength(2000), Description("Why the silence was set.")]
    public string? Comment { get; init; }

    [Id, Description("Who set it.")]
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

/// <summary>
/// A silence names what it mutes and ends after it starts, in the future. It ends in the future by
/// nature, so its times are not held to the clock-skew limit of observed timestamps.
/// </summary>
internal sealed class SilenceRule : IContractRule<Silence>
{
    public void Check(Silence silence, ContractContext context)
    {
        if (silence.SiteId is null && silence.CameraId is null && silence.ZoneId is null && silence.Kind is null)
        {
            context.Report("must name at least one of siteId, cameraId, zoneId and kind, so it cannot mute a whole organization by accident");
        }
        if (context.IsValidInstant(silence.StartsAt, notInFuture: false) && context.IsValidInstant(silence.EndsAt, notInFuture: false))
        {
            if (silence.EndsAt <= silence.StartsAt)
            {
                context.Report("endsAt", ContractContext.Invariant($"must be after startsAt {silence.StartsAt:O}, was {silence.EndsAt:O}"));
            }
            else if (silence.EndsAt <= context.Now)
            {
                context.Report("endsAt", ContractContext.Invariant($"must be in the future, was {silence.EndsAt:O}"));
            }
        }
    }
}
