using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Antitheft.Rules;

/// <summary>
/// A person whose presence in a zone lasts longer than <see cref="AntitheftSettings.LoiteringSeconds"/>.
/// Signals once per presence, as soon as the dwell crosses the threshold (the zone's own
/// <see cref="ZoneThresholds.LoiteringSeconds"/> where it has one), so an operator can still act.
/// Runs in the zones that list it, or by default in shelf and exit zones: queues at a checkout and
/// people at work are expected to dwell, and restricted zones have <see cref="IntrusionRule"/>.
/// </summary>
public sealed class LoiteringRule(AntitheftSettings settings)
    : TrackRule<CameraTracks<TrackState>, TrackState>(settings.MinPresenceSeconds, settings.ExitGraceSeconds)
{
    private readonly long _loiteringTicks = settings.LoiteringSeconds * TimeSpan.TicksPerSecond;

    protected override void OnUpdate(CameraTracks<TrackState> camera, TrackState track, TrackUpdate update, long ticks, ISignalSink sink)
    {
        if (track.Class != TrackClass.Person)
        {
            return;
        }

        var zones = camera.Context.Zones;
        for (var i = 0; i < zones.Length; i++)
        {
            var zone = zones[i];
            if (!zone.Runs(RuleCatalog.Loitering))
            {
                continue;
            }

            ObserveZone(camera, track, i, zone.Contains(track.X, track.Y), MinPresenceTicks, ticks, sink);
            ref var presence = ref track.Zones[i];
            if (presence.IsConfirmed && !presence.Signalled && presence.DurationTicks >= LoiteringTicks(zone))
            {
                presence.Signalled = true;
                sink.Emit(Loitering(camera, track, zone, presence));
            }
        }
    }

    private long LoiteringTicks(ZoneShape zone) =>
        zone.Thresholds?.LoiteringSeconds is { } seconds ? seconds * TimeSpan.TicksPerSecond : _loiteringTicks;

    private static Signal Loitering(CameraTracks<TrackState> camera, TrackState track, ZoneShape zone, PresenceTracker presence)
    {
        var dwellSeconds = Signals.Seconds(presence.DurationTicks);
        return Signals.Create(
            camera.Context,
            camera.SiteId,
            RuleCatalog.Loitering,
            Severity.Medium,
            track.Confidence,
            track.TrackId,
            zone.ZoneId,
            [track.TrackId],
            presence.StartTicks,
            presence.LastSeenTicks,
            new Dictionary<string, double> { ["dwellSeconds"] = dwellSeconds },
            $"Person stayed in {zone.Zone.Name} for {dwellSeconds:0} s.",
            [track.Evidence(presence)]);
    }
}
