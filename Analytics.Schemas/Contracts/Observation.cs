using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// What an edge tracker saw at one instant. The concrete kind travels in the <c>type</c> property
/// so a single batch can mix kinds.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TrackUpdate), EventTypes.TrackUpdate)]
[JsonDerivedType(typeof(ZoneHit), EventTypes.ZoneHit)]
[JsonDerivedType(typeof(AffectTelemetry), EventTypes.AffectTelemetry)]
[JsonDerivedType(typeof(CameraHeartbeat), EventTypes.CameraHeartbeat)]
[Description("An observation from an edge tracker; the kind is given by the type property.")]
public abstract record Observation
{
    // Common fields first on the wire, so a reader sees where and when before the details.
    [JsonPropertyOrder(-1)]
    [SchemaVersion, Description("Version of this observation kind's schema.")]
    public required int SchemaVersion { get; init; }

    [JsonPropertyOrder(-1)]
    [Id, Description("Site (store, plant, school) the camera belongs to.")]
    public required string SiteId { get; init; }

    [JsonPropertyOrder(-1)]
    [Id, Description("Camera that made the observation.")]
    public required string CameraId { get; init; }

    [JsonPropertyOrder(-1)]
    [NotInFuture, Description("When the frame was captured, UTC.")]
    public required DateTimeOffset OccurredAt { get; init; }
}

/// <summary>The position of one tracked object in one frame.</summary>
[Description("Position and attributes of one tracked object in one frame.")]
public sealed record TrackUpdate : Observation
{
    [Id, Description("Tracker-assigned id, stable while the object stays in view of this camera.")]
    public required string TrackId { get; init; }

    [Id, Description("Lowercase object class, e.g. person, bag, product, forklift.")]
    public required string ObjectClass { get; init; }

    [Range(0.0, 1.0), Description("Detector confidence in [0, 1].")]
    public required double Confidence { get; init; }

    [Required, Description("Where the object is in the frame.")]
    public required BoundingBox Box { get; init; }

    // The serializer assigns every init-only member, absent ones as null, so the default is
    // restored here; an omitted list means no flags.
    [Id, Description("Lowercase flags on the object, e.g. no_helmet, no_vest, fallen; empty when omitted.")]
    public IReadOnlyList<string> Attributes
    {
        get => _attributes;
        init => _attributes = value ?? [];
    }

    private readonly IReadOnlyList<string> _attributes = [];
}

/// <summary>A tracked object crossing the boundary of a configured zone.</summary>
[Description("A tracked object entering or leaving a configured zone.")]
public sealed record ZoneHit : Observation
{
    [Id, Description("Zone that was entered or left.")]
    public required string ZoneId { get; init; }

    [Id, Description("Tracker-assigned id of the object.")]
    public required string TrackId { get; init; }

    [Id, Description("Lowercase object class, e.g. person.")]
    public required string ObjectClass { get; init; }

    [Description("Whether the object entered or left the zone.")]
    public required ZoneTransition Transition { get; init; }
}

/// <summary>Estimated affect of one anonymous subject in a classroom zone.</summary>
[Description("Estimated affect of one anonymous subject in a classroom zone.")]
public sealed record AffectTelemetry : Observation
{
    [Id, Description("Classroom zone the subject is in.")]
    public required string ZoneId { get; init; }

    // An ephemeral slot the edge device assigns per session so samples of one subject can be
    // averaged; it is never an identity. Ingest never stores it: before anything is written it
    // replaces it with a keyed pseudonym (Services/Analytics.Ingest/Observations/SubjectPseudonyms.cs),
    // HMAC-SHA256 under a random per-organization secret for the UTC day of occurredAt. The secret
    // rotates daily and is destroyed once its day is more than a day old, so after that no stored
    // value can be tied to this key, nor a day's pseudonyms to another day's.
    [Id, Description("Ephemeral anonymous per-session slot, never an identity. The value sent is never stored: ingest replaces it with a keyed pseudonym (p_ and 32 hex digits: HMAC-SHA256 under a random per-organization secret for the UTC day of occurredAt), the same for one slot all day. Secrets rotate daily and are destroyed once their day is more than a day old (within the hour after 00:00 UTC two days on); a sample arriving after that gets a fresh secret and no longer groups with its day's earlier samples.")]
    public required string SubjectKey { get; init; }

    [Range(0.0, 1.0), Description("Engagement in [0, 1].")]
    public required double Engagement { get; init; }

    [Range(-1.0, 1.0), Description("Valence in [-1, 1]; negative is unpleasant.")]
    public required double Valence { get; init; }

    [Range(0.0, 1.0), Description("Arousal in [0, 1].")]
    public required double Arousal { get; init; }

    [Range(0.0, 1.0), Description("Model confidence in [0, 1].")]
    public required double Confidence { get; init; }
}

/// <summary>
/// The edge's promise that every observation of this camera up to <see cref="Observation.OccurredAt"/>
/// has been sent, so the camera's clock may move there although nothing was seen. A quiet camera
/// sends these and its behaviours complete; a camera whose uplink is down sends nothing, and its
/// behaviours wait for its backlog (or for the idle fallback).
/// </summary>
[Description("The edge's promise that every observation of this camera up to occurredAt has been sent; moves the camera's clock when there is nothing to report.")]
public sealed record CameraHeartbeat : Observation;
