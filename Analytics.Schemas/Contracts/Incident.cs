using System.ComponentModel;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>One or more related signals fused into something a human acts on.</summary>
[Description("Related signals fused into something a human acts on.")]
[ContractRule<IncidentRule>]
public sealed record Incident
{
    [Id, Description("Incident id.")]
    public required string Id { get; init; }

    [Id, Description("Organization that owns the site.")]
    public required string OrgId { get; init; }

    [Description("Domain of the fused signals.")]
    public required Domain Domain { get; init; }

    [Id, Description("What happened, e.g. loitering.")]
    public required string Kind { get; init; }

    [Description("How urgent the incident is.")]
    public required Severity Severity { get; init; }

    [Description("Why the severity was chosen, e.g. escalated after repeated signals.")]
    public string? SeverityReason { get; init; }

    [Description("Where the incident is in its life cycle.")]
    public required IncidentStatus Status { get; init; }

    [Id, Description("Site where it happened.")]
    public required string SiteId { get; init; }

    [Id, Description("Camera, when all signals come from one.")]
    public string? CameraId { get; init; }

    [Id, Description("Zone, when all signals come from one.")]
    public string? ZoneId { get; init; }

    [Id, Description("Signals fused into the incident, in the order they joined; at least one, except for incidents the platform raises about itself (domain platform, e.g. a camera offline).")]
    public required IReadOnlyList<string> SignalIds { get; init; }

    [NotInFuture, Description("When the incident was opened, UTC.")]
    public required DateTimeOffset OpenedAt { get; init; }

    [NotInFuture, Description("When the incident last changed, UTC; not before openedAt.")]
    public required DateTimeOffset UpdatedAt { get; init; }

    [NotInFuture, Description("When a human acknowledged the incident, UTC.")]
    public DateTimeOffset? AcknowledgedAt { get; init; }

    [NotInFuture, Description("When the incident was resolved, UTC; required when status is resolved.")]
    public DateTimeOffset? ResolvedAt { get; init; }

    [Description("Whether notifications for the incident are suppressed.")]
    public bool Silenced { get; init; }

    [SchemaVersion, Description("Version of the incident schema.")]
    public required int SchemaVersion { get; init; }
}

/// <summary>
/// An incident's times follow its opening, its status has the time that goes with it, and only
/// the platform's own incidents may have no signal.
/// </summary>
internal sealed class IncidentRule : IContractRule<Incident>
{
    public void Check(Incident incident, ContractContext context)
    {
        if (incident.SignalIds is { Count: 0 } && incident.Domain != Domain.Platform)
        {
            context.Report("signalIds", "must contain at least one signal id unless the domain is platform, was empty");
        }

        var openedAtValid = context.IsValidInstant(incident.OpenedAt, notInFuture: true);
        if (openedAtValid && context.IsValidInstant(incident.UpdatedAt, notInFuture: true))
        {
            NotBefore(context, "updatedAt", incident.UpdatedAt, "openedAt", incident.OpenedAt);
        }
        if (incident.AcknowledgedAt is { } acknowledgedAt)
        {
            if (openedAtValid && context.IsValidInstant(acknowledgedAt, notInFuture: true))
            {
                NotBefore(context, "acknowledgedAt", acknowledgedAt, "openedAt", incident.OpenedAt);
            }
        }
        else if (incident.Status == IncidentStatus.Acknowledged)
        {
            context.Report("acknowledgedAt", "is required when status is acknowledged");
        }
        if (incident.ResolvedAt is { } resolvedAt)
        {
            if (openedAtValid && context.IsValidInstant(resolvedAt, notInFuture: true))
            {
                NotBefore(context, "resolvedAt", resolvedAt, "openedAt", incident.OpenedAt);
            }
        }
        else if (incident.Status == IncidentStatus.Resolved)
        {
            context.Report("resolvedAt", "is required when status is resolved");
        }
    }

    internal static void NotBefore(ContractContext context, string name, DateTimeOffset value, string earlierName, DateTimeOffset earlier)
    {
        if (value < earlier)
        {
            context.Report(name, ContractContext.Invariant($"must not be before {earlierName} {earlier:O}, was {value:O}"));
        }
    }
}
