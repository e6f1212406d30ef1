using Analytics.Schemas.Contracts;

namespace Analytics.Rules;

/// <summary>
/// The boxes a rule holds for one track of a signal: its last box and, when the rule kept it, the
/// box that began the behaviour. Both are references to the observations' own boxes, taken from
/// the track's state when the signal is emitted, so the hot path keeps no history.
/// </summary>
/// <param name="TrackId">The track.</param>
/// <param name="ObjectClass">Its object class, if the rule knows it.</param>
/// <param name="Last">The box of the track's last update.</param>
/// <param name="LastTicks">Event time of that update, UTC ticks.</param>
/// <param name="First">The box that began the behaviour, if kept.</param>
/// <param name="FirstTicks">Event time of <paramref name="First"/>, UTC ticks.</param>
public readonly record struct TrackEvidence(string TrackId, string? ObjectClass, BoundingBox Last, long LastTicks, BoundingBox? First = null, long FirstTicks = 0);
