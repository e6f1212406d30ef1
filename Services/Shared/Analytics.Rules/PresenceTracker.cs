using Analytics.Schemas.Contracts;

namespace Analytics.Rules;

/// <summary>What one sample changed about a presence.</summary>
[Flags]
public enum PresenceChange
{
    None = 0,

    /// <summary>The presence has now lasted the minimum time and counts.</summary>
    Confirmed = 1,

    /// <summary>A confirmed presence ended; its bounds are in <see cref="PresenceTracker.EndedStartTicks"/> and <see cref="PresenceTracker.EndedLastSeenTicks"/>.</summary>
    Ended = 2,
}

/// <summary>
/// Whether something holds (a track is in a zone, a person lies down, a zone is crowded) with
/// inertia and exit grace, on event time in UTC ticks. A presence counts only after it has lasted
/// the minimum time; an absence (no sample, or a sample where it does not hold) shorter than the
/// grace does not end it, because trackers flicker. It ends at the last time it was seen to hold,
/// not when the grace ran out, so durations do not grow by the grace.
/// </summary>
/// <remarks>A mutable struct kept in arrays of per-track state, so updating it allocates nothing.</remarks>
public struct PresenceTracker
{
    /// <summary>Start of the current presence, confirmed or not.</summary>
    public long StartTicks { get; private set; }

    /// <summary>Last time the current presence was seen to hold.</summary>
    public long LastSeenTicks { get; private set; }

    /// <summary>Bounds of the presence that ended last, valid after <see cref="PresenceChange.Ended"/>.</summary>
    public long EndedStartTicks { get; private set; }

    /// <inheritdoc cref="EndedStartTicks"/>
    public long EndedLastSeenTicks { get; private set; }

    /// <summary>Whether a presence (confirmed or not) is open.</summary>
    public bool IsOpen { get; private set; }

    /// <summary>Whether the open presence has lasted the minimum time.</summary>
    public bool IsConfirmed { get; private set; }

    /// <summary>
    /// The box of the sample that started the current presence (at <see cref="StartTicks"/>), when
    /// the rule passed one: where a signal's track was when its behaviour began. A reference to
    /// the observation's own box, so keeping it allocates nothing.
    /// </summary>
    public BoundingBox? StartBox { get; private set; }

    /// <summary>Free for the rule: whether it already signalled the open presence. Cleared when a new one starts.</summary>
    public bool Signalled { get; set; }

    /// <summary>Length of the open presence so far.</summary>
    public readonly long DurationTicks => LastSeenTicks - StartTicks;

    /// <summary>Feeds one sample at <paramref name="ticks"/>.</summary>
    /// <param name="ticks">Event time of the sample, UTC ticks.</param>
    /// <param name="holds">Whether the condition holds in this sample.</param>
    /// <param name="minimumTicks">How long a presence must last before it counts.</param>
    /// <param name="graceTicks">How long an absence may last without ending the presence.</param>
    /// <param name="box">The box of the sample's track, kept as <see cref="StartBox"/> when the sample starts a presence.</param>
    public PresenceChange Observe(long ticks, bool holds, long minimumTicks, long graceTicks, BoundingBox? box = null)
    {
        var change = PresenceChange.None;
        if (IsOpen && ticks - LastSeenTicks > graceTicks)
        {
            change = Close();
        }

        if (!holds)
        {
            return change;
        }

        if (!IsOpen)
        {
            IsOpen = true;
            IsConfirmed = false;
            Signalled = false;
            StartTicks = ticks;
            LastSeenTicks = ticks;
            StartBox = box;
        }
        else if (ticks > LastSeenTicks)
        {
            LastSeenTicks = ticks;
        }

        if (!IsConfirmed && LastSeenTicks - StartTicks >= minimumTicks)
        {
            IsConfirmed = true;
            change |= PresenceChange.Confirmed;
        }

        return change;
    }

    /// <summary>Ends the presence when nothing has been seen for longer than the grace up to <paramref name="nowTicks"/>.</summary>
    public PresenceChange Expire(long nowTicks, long graceTicks) =>
        IsOpen && nowTicks - LastSeenTicks > graceTicks ? Close() : PresenceChange.None;

    /// <summary>Ends the presence now, e.g. because its zone was removed.</summary>
    public PresenceChange Close()
    {
        if (!IsOpen)
        {
            return PresenceChange.None;
        }

        var wasConfirmed = IsConfirmed;
        IsOpen = false;
        IsConfirmed = false;
        EndedStartTicks = StartTicks;
        EndedLastSeenTicks = LastSeenTicks;
        return wasConfirmed ? PresenceChange.Ended : PresenceChange.None;
    }
}
