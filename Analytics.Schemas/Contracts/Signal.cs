using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>A domain service's conclusion about a stretch of observations, e.g. loitering.</summary>
[Description("A domain service's conclusion drawn from observations, e.g. loitering.")]
[ContractRule<SignalRule>]
public sealed record Signal
{
    // Deterministic so that a replayed observation stream yields the same signal ids and
    // downstream consumers can deduplicate.
    [Id, Description("Deterministic id derived from the signal's inputs.")]
    public required string Id { get; init; }

    [Id, Description("Organization that owns the site.")]
    public required string OrgId { get; init; }

    [Description("Domain that produced the signal.")]
    public required Domain Domain { get; init; }

    [Id, Description("What was detected, e.g. loitering, crowding, fall.")]
    public required string Kind { get; init; }

    [Description("How urgent the signal is.")]
    public required Severity Severity { get; init; }

    [Range(0.0, 1.0), Description("Confidence in [0, 1].")]
    public required double Confidence { get; init; }

    [Id, Description("Site where it happened.")]
    public required string SiteId { get; init; }

    [Id, Description("Camera that saw it.")]
    public required string CameraId { get; init; }

    [Id, Description("Zone where it happened, if any.")]
    public string? ZoneId { get; init; }

    [Id, Description("Tracks involved; empty when no object is involved, e.g. a camera going offline.")]
    public required IReadOnlyList<string> TrackIds { get; init; }

    [NotInFuture, Description("Start of the observed stretch, UTC.")]
    public required DateTimeOffset StartedAt { get; init; }

    [NotInFuture, Description("End of the observed stretch, UTC; not before startedAt.")]
    public required DateTimeOffset EndedAt { get; init; }

    [Required, Description("Why the signal was raised.")]
    public required Evidence Evidence { get; init; }

    [SchemaVersion, Description("Version of the signal schema.")]
    public required int SchemaVersion { get; init; }
}

/// <summary>What a signal rests on, so a human can judge it without the raw video.</summary>
[Description("What a signal rests on.")]
public sealed record Evidence
{
    [Id, Description("Named measurements, e.g. dwellSeconds; all finite.")]
    public required IReadOnlyDictionary<string, double> Measurements { get; init; }

    // The serializer assigns every init-only member, absent ones as null, so the default is
    // restored here; an omitted list means no observation ids were kept.
    [Id, Description("Ids of observations that support the signal; may be empty or omitted.")]
    public IReadOnlyList<string> ObservationIds
    {
        get => _observationIds;
        init => _observationIds = value ?? [];
    }

    private readonly IReadOnlyList<string> _observationIds = [];

    [Description("Short human-readable explanation.")]
    public string? Summary { get; init; }

    // Optional and added within version 1: signals stored before it read as null, and readers of
    // version 1 skip a member they do not know (the schema allows additional members).
    [MaxLength(MaxBoxes), Description("Boxes of the tracks involved, to draw over a frame of the camera: each track's last box when the signal was raised and, room permitting, its first box within the signal's stretch; at most 16, last boxes before first boxes. Omitted when no track is involved, e.g. for affect telemetry.")]
    public IReadOnlyList<EvidenceBox>? Boxes { get; init; }

    /// <summary>
    /// At most this many boxes, so a crowd of 200 people does not make a signal 200 boxes long;
    /// a frame with more is unreadable anyway.
    /// </summary>
    public const int MaxBoxes = 16;
}

/// <summary>Where one track of a signal was at one moment, in normalized image coordinates, so the console can draw it.</summary>
[Description("Where a track involved in a signal was at one moment.")]
public sealed record EvidenceBox
{
    [Id, Description("Track the box belongs to; one of the signal's trackIds.")]
    public required string TrackId { get; init; }

    [Id, Description("Lowercase object class of the track, e.g. person, product; omitted when the rule does not know it.")]
    public string? ObjectClass { get; init; }

    [Required, Description("The track's box in the observation at that time: normalized image coordinates, origin top-left.")]
    public required BoundingBox Box { get; init; }

    [NotInFuture, Description("Event time of the observation the box comes from, UTC.")]
    public required DateTimeOffset At { get; init; }
}

/// <summary>A signal's stretch does not end before it starts.</summary>
internal sealed class SignalRule : IContractRule<Signal>
{
    public void Check(Signal signal, ContractContext context)
    {
        if (context.IsValidInstant(signal.StartedAt, notInFuture: true) && context.IsValidInstant(signal.EndedAt, notInFuture: true))
        {
            IncidentRule.NotBefore(context, "endedAt", signal.EndedAt, "startedAt", signal.StartedAt);
        }

        // A box is drawn for a track of the signal; one of another track would mislead the operator.
        if (signal.Evidence?.Boxes is { } boxes && signal.TrackIds is { } trackIds)
        {
            List<string>? lacked = null;
            foreach (var box in boxes)
            {
                if (box?.TrackId is { } trackId && !trackIds.Contains(trackId, StringComparer.Ordinal) && !(lacked ??= []).Contains(trackId, StringComparer.Ordinal))
                {
                    lacked.Add(trackId);
                    context.Report("trackIds", ContractContext.Invariant($"must contain the track of every box in evidence.boxes, lacked '{trackId}'"));
                }
            }
        }
    }
}
