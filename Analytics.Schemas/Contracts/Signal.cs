using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Contracts;

/// <summary>A domain service's conclusion about a stretch of observations, e.g. loitering.</summary>
[Description("A domain service's conclusion drawn from observations, e.g. loitering.")]
public sealed record Signal
{
    // Deterministic so that a replayed observation stream yields the same signal ids and
    // downstream consumers can deduplicate.
    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Deterministic id derived from the signal's inputs.")]
    public required string Id { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Organization that owns the site.")]
    public required string OrgId { get; init; }

    [Description("Domain that produced the signal.")]
    public required Domain Domain { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("What was detected, e.g. loitering, crowding, fall.")]
    public required string Kind { get; init; }

    [Description("How urgent the signal is.")]
    public required Severity Severity { get; init; }

    [Range(0.0, 1.0), Description("Confidence in [0, 1].")]
    public required double Confidence { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Site where it happened.")]
    public required string SiteId { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Camera that saw it.")]
    public required string CameraId { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Zone where it happened, if any.")]
    public string? ZoneId { get; init; }

    [Description("Tracks involved; empty when no object is involved, e.g. a camera going offline.")]
    public required IReadOnlyList<string> TrackIds { get; init; }

    [Description("Start of the observed stretch, UTC.")]
    public required DateTimeOffset StartedAt { get; init; }

    [Description("End of the observed stretch, UTC; not before startedAt.")]
    public required DateTimeOffset EndedAt { get; init; }

    [Required, Description("Why the signal was raised.")]
    public required Evidence Evidence { get; init; }

    [Range(1, int.MaxValue), Description("Version of the signal schema.")]
    public required int SchemaVersion { get; init; }
}

/// <summary>What a signal rests on, so a human can judge it without the raw video.</summary>
[Description("What a signal rests on.")]
public sealed record Evidence
{
    [Description("Named measurements, e.g. dwellSeconds; all finite.")]
    public required IReadOnlyDictionary<string, double> Measurements { get; init; }

    // The serializer assigns every init-only member, absent ones as null, so the default is
    // restored here; an omitted list means no observation ids were kept.
    [Description("Ids of observations that support the signal; may be empty or omitted.")]
    public IReadOnlyList<string> ObservationIds
    {
        get => _observationIds;
        init => _observationIds = value ?? [];
    }

    private readonly IReadOnlyList<string> _observationIds = [];

    [Description("Short human-readable explanation.")]
    public string? Summary { get; init; }
}
