using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Safety.Rules;

/// <summary>A camera of the crowding rule: confirmed people per zone and the crowd episode of each zone.</summary>
public sealed class CrowdCamera : CameraTracks<TrackState>
{
    public int[] Counts { get; internal set; } = [];

    public int[] PeakCounts { get; internal set; } = [];

    public PresenceTracker[] Crowds { get; internal set; } = [];
}

/// <summary>
/// A zone holding at least <see cref="SafetySettings.CrowdingCount"/> people for
/// <see cref="SafetySettings.CrowdingSeconds"/> (or the zone's own thresholds), in the zones that
/// list this rule or by default every zone but classrooms, which are full by design. People count once their presence in the zone is
/// confirmed and keep counting through the exit grace, so flicker neither lowers nor inflates the
/// count. Signals once per crowd episode; the zone is the subject.
/// </summary>
public sealed class CrowdingRule(SafetySettings settings)
    : TrackRule<CrowdCamera, TrackState>(settings.MinPresenceSeconds, settings.ExitGraceSeconds)
{
    private readonly int _crowdingCount = settings.CrowdingCount;
    private readonly long _crowdingTicks = settings.CrowdingSeconds * TimeSpan.TicksPerSecond;

    protected override void OnUpdate(CrowdCamera camera, TrackState track, TrackUpdate update, long ticks, ISignalSink sink)
    {
        if (track.Class != TrackClass.Person)
        {
            return;
        }

        EnsureZoneState(camera);
        var zones = camera.Context.Zones;
        for (var i = 0; i < zones.Length; i++)
        {
            if (zones[i].Runs(RuleCatalog.Crowding))
            {
                ObserveZone(camera, track, i, zones[i].Contains(track.X, track.Y), MinPresenceTicks, ticks, sink);
            }
        }

        ObserveCrowds(camera, ticks, sink);
    }

    protected override void OnZoneChange(CrowdCamera camera, TrackState track, int zoneIndex, PresenceChange change, long ticks, ISignalSink sink)
    {
        EnsureZoneState(camera);
        if ((change & PresenceChange.Ended) != 0)
        {
            camera.Counts[zoneIndex]--;
        }

        if ((change & PresenceChange.Confirmed) != 0)
        {
            camera.Counts[zoneIndex]++;
        }
    }

    protected override void OnCameraSwept(CrowdCamera camera, long nowTicks, ISignalSink sink)
    {
        EnsureZoneState(camera);
        for (var i = 0; i < camera.Crowds.Length; i++)
        {
            camera.Crowds[i].Expire(nowTicks, GraceTicks);
        }
    }

    protected override long CameraOpenSince(CrowdCamera camera)
    {
        var oldest = long.MaxValue;
        foreach (var crowd in camera.Crowds)
        {
            if (crowd.IsOpen)
            {
                oldest = Math.Min(oldest, crowd.StartTicks);
            }
        }

        return oldest;
    }

    // Counts are rebuilt from the remapped presences; crowds of zones that kept their id go on.
    protected override void OnZonesChanged(CrowdCamera camera, RuleContext previous)
    {
        var zones = camera.Context.Zones;
        var crowds = new PresenceTracker[zones.Length];
        var peaks = new int[zones.Length];
        for (var i = 0; i < zones.Length; i++)
        {
            var old = previous.IndexOf(zones[i].ZoneId);
            if (old >= 0 && old < camera.Crowds.Length)
            {
                crowds[i] = camera.Crowds[old];
                peaks[i] = camera.PeakCounts[old];
            }
        }

        var counts = new int[zones.Length];
        foreach (var track in camera.Tracks.Values)
        {
            for (var i = 0; i < track.Zones.Length; i++)
            {
                if (track.Zones[i].IsConfirmed)
                {
                    counts[i]++;
                }
            }
        }

        camera.Crowds = crowds;
        camera.PeakCounts = peaks;
        camera.Counts = counts;
    }

    private static void EnsureZoneState(CrowdCamera camera)
    {
        var count = camera.Context.Zones.Length;
        if (camera.Counts.Length != count)
        {
            camera.Counts = new int[count];
            camera.PeakCounts = new int[count];
            camera.Crowds = new PresenceTracker[count];
        }
    }

    private void ObserveCrowds(CrowdCamera camera, long ticks, ISignalSink sink)
    {
        for (var i = 0; i < camera.Crowds.Length; i++)
        {
            ref var crowd = ref camera.Crowds[i];
            var count = camera.Counts[i];
            var wasOpen = crowd.IsOpen;
            var previousStart = crowd.StartTicks;
            var thresholds = camera.Context.Zones[i].Thresholds;
            var crowded = count >= (thresholds?.CrowdingCount ?? _crowdingCount);
            var crowdingTicks = thresholds?.CrowdingSeconds is { } seconds ? seconds * TimeSpan.TicksPerSecond : _crowdingTicks;
            var change = crowd.Observe(ticks, crowded, crowdingTicks, GraceTicks);
            if (crowd.IsOpen && (!wasOpen || crowd.StartTicks != previousStart))
            {
                camera.PeakCounts[i] = 0;
            }

            if (crowd.IsOpen && count > camera.PeakCounts[i])
            {
                camera.PeakCounts[i] = count;
            }

            if ((change & PresenceChange.Confirmed) != 0 && !crowd.Signalled)
            {
                crowd.Signalled = true;
                sink.Emit(Crowding(camera, i, crowd));
            }
        }
    }

    private static Signal Crowding(CrowdCamera camera, int zoneIndex, PresenceTracker crowd)
    {
        var zone = camera.Context.Zones[zoneIndex];
        var trackIds = new List<string>();
        var boxes = new List<TrackEvidence>();
        var confidence = 0.0;
        foreach (var track in camera.Tracks.Values)
        {
            if (zoneIndex < track.Zones.Length && track.Zones[zoneIndex].IsConfirmed)
            {
                trackIds.Add(track.TrackId);
                boxes.Add(track.Evidence(track.Zones[zoneIndex]));
                confidence += track.Confidence;
            }
        }

        trackIds.Sort(StringComparer.Ordinal);

        // Beyond the cap, the people seen last are the crowd as it stood when it was confirmed; the
        // order is total (track ids are unique), so a replay keeps the same ones.
        boxes.Sort(static (a, b) => a.LastTicks != b.LastTicks ? b.LastTicks.CompareTo(a.LastTicks) : string.CompareOrdinal(a.TrackId, b.TrackId));
        var peak = camera.PeakCounts[zoneIndex];
        return Signals.Create(
            camera.Context,
            camera.SiteId,
            RuleCatalog.Crowding,
            Severity.Medium,
            trackIds.Count == 0 ? 0 : confidence / trackIds.Count,
            zone.ZoneId,
            zone.ZoneId,
            trackIds,
            crowd.StartTicks,
            crowd.LastSeenTicks,
            new Dictionary<string, double>
            {
                ["peopleCount"] = peak,
                ["crowdSeconds"] = Signals.Seconds(crowd.DurationTicks),
            },
            $"{peak} people in {zone.Zone.Name} for {Signals.Seconds(crowd.DurationTicks):0} s.",
            boxes);
    }
}
