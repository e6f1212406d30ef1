using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Contracts;

/// <summary>One or more related signals fused into something a human acts on.</summary>
[Description("Related signals fused into something a human acts on.")]
public sealed record Incident
{
    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Incident id.")]
    public required string Id { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Organization that owns the site.")]
    public required string OrgId { get; init; }

    [Description("Domain of the fused signals.")]
    public required Domain Domain { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("What happened, e.g. loitering.")]
    public required string Kind { get; init; }

    [Description("How urgent the incident is.")]
    public required Severity Severity { get; init; }

    [Description("Why the severity was chosen, e.g. escalated after repeated signals.")]
    public string? SeverityReason { get; init; }

    [Description("Where the incident is in its life cycle.")]
    public required IncidentStatus Status { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Site where it happened.")]
    public required string SiteId { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Camera, when all signals come from one.")]
    public string? CameraId { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Zone, when all signals come from one.")]
    public string? ZoneId { get; init; }

    [Description("Signals fused into the incident, in the order they joined; at least one, except for incidents the platform raises about itself (domain platform, e.g. a camera offline).")]
    public required IReadOnlyList<string> SignalIds { get; init; }

    [Description("When the incident was opened, UTC.")]
    public required DateTimeOffset OpenedAt { get; init; }

    [Description("When the incident last changed, UTC; not before openedAt.")]
    public required DateTimeOffset UpdatedAt { get; init; }

    [Description("When a human acknowledged the incident, UTC.")]
    public DateTimeOffset? AcknowledgedAt { get; init; }

    [Description("When the incident was resolved, UTC; required when status is resolved.")]
    public DateTimeOffset? ResolvedAt { get; init; }

    [Description("Whether notifications for the incident are suppressed.")]
    public bool Silenced { get; init; }

    [Range(1, int.MaxValue), Description("Version of the incident schema.")]
    public required int SchemaVersion { get; init; }
}
