using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Antitheft.Rules;

/// <summary>
/// A person present in a guarded zone for at least the minimum presence: the zones that list this
/// rule, or by default restricted zones. A zone with a schedule is guarded only outside its active
/// hours; without one, always. Signals once per presence.
/// </summary>
public sealed class IntrusionRule(AntitheftSettings settings)
    : TrackRule<CameraTracks<TrackState>, TrackState>(settings.MinPresenceSeconds, settings.ExitGraceSeconds)
{
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
            if (!zone.Runs(RuleCatalog.Intrusion))
            {
                continue;
            }

            ObserveZone(camera, track, i, zone.Contains(track.X, track.Y), MinPresenceTicks, ticks, sink);
            ref var presence = ref track.Zones[i];
            var scheduled = zone.Zone.Schedule is not null;
            if (!presence.IsConfirmed || presence.Signalled || (scheduled && zone.IsInUse(At(ticks))))
            {
                continue;
            }

            presence.Signalled = true;

            // A person who entered while the zone was in use intrudes only from the first moment
            // it was seen out of hours.
            var startedTicks = scheduled && zone.IsInUse(At(presence.StartTicks)) ? ticks : presence.StartTicks;
            sink.Emit(Intrusion(camera, track, zone, presence, startedTicks, ticks));
        }
    }

    private static Signal Intrusion(CameraTracks<TrackState> camera, TrackState track, ZoneShape zone, in PresenceTracker presence, long startedTicks, long ticks)
    {
        var scheduled = zone.Zone.Schedule is not null;
        return Signals.Create(
            camera.Context,
            camera.SiteId,
            RuleCatalog.Intrusion,
            Severity.High,
            track.Confidence,
            track.TrackId,
            zone.ZoneId,
            [track.TrackId],
            startedTicks,
            ticks,
            new Dictionary<string, double>
            {
                ["dwellSeconds"] = Signals.Seconds(ticks - startedTicks),
                ["outsideActiveHours"] = scheduled ? 1 : 0,
            },
            scheduled ? $"Person in restricted zone {zone.Zone.Name} outside its active hours." : $"Person in restricted zone {zone.Zone.Name}.",
            // The entry box is shown only when the intrusion began with the presence.
            [track.Evidence(presence)]);
    }
}
