using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Safety.Rules;

/// <summary>What the protective-equipment rule remembers about a person.</summary>
public sealed class PpeTrack : TrackState
{
    private PresenceTracker _missing;

    public ref PresenceTracker Missing => ref _missing;

    public int MissingFrames { get; set; }

    public int NoHelmetFrames { get; set; }

    public int NoVestFrames { get; set; }

    public ZoneShape? WorkArea { get; set; }
}

/// <summary>
/// A person in a zone that requires protective equipment (those listing this rule, or by default
/// work areas) flagged <c>no_helmet</c> or <c>no_vest</c> for <see cref="SafetySettings.MissingPpeSeconds"/>
/// (or the zone's own threshold); frames where the detector misses the flag for
/// less than the exit grace do not restart the timer. Signals once per episode with the share of
/// frames that lacked each item.
/// </summary>
public sealed class MissingPpeRule(SafetySettings settings)
    : TrackRule<CameraTracks<PpeTrack>, PpeTrack>(settings.MinPresenceSeconds, settings.ExitGraceSeconds)
{
    private const string NoHelmet = "no_helmet";
    private const string NoVest = "no_vest";

    private readonly long _missingTicks = settings.MissingPpeSeconds * TimeSpan.TicksPerSecond;

    protected override void OnUpdate(CameraTracks<PpeTrack> camera, PpeTrack track, TrackUpdate update, long ticks, ISignalSink sink)
    {
        if (track.Class != TrackClass.Person)
        {
            return;
        }

        ZoneShape? workArea = null;
        var zones = camera.Context.Zones;
        for (var i = 0; i < zones.Length; i++)
        {
            if (zones[i].Runs(RuleCatalog.MissingPpe) && zones[i].Contains(track.X, track.Y))
            {
                workArea = zones[i];
                break;
            }
        }

        var noHelmet = workArea is not null && Attributes.Has(update.Attributes, NoHelmet);
        var noVest = workArea is not null && Attributes.Has(update.Attributes, NoVest);
        var wasOpen = track.Missing.IsOpen;
        var previousStart = track.Missing.StartTicks;
        var missingTicks = (workArea ?? track.WorkArea)?.Thresholds?.MissingPpeSeconds is { } seconds ? seconds * TimeSpan.TicksPerSecond : _missingTicks;
        var change = track.Missing.Observe(ticks, noHelmet || noVest, missingTicks, GraceTicks, track.Box);
        if (track.Missing.IsOpen && (!wasOpen || track.Missing.StartTicks != previousStart))
        {
            track.MissingFrames = track.NoHelmetFrames = track.NoVestFrames = 0;
        }

        if (noHelmet || noVest)
        {
            track.WorkArea = workArea;
            track.MissingFrames++;
            track.NoHelmetFrames += noHelmet ? 1 : 0;
            track.NoVestFrames += noVest ? 1 : 0;
        }

        if ((change & PresenceChange.Confirmed) != 0 && !track.Missing.Signalled)
        {
            track.Missing.Signalled = true;
            sink.Emit(MissingPpe(camera, track));
        }
    }

    protected override void OnSweep(CameraTracks<PpeTrack> camera, PpeTrack track, long nowTicks, ISignalSink sink) =>
        track.Missing.Expire(nowTicks, GraceTicks);

    private static Signal MissingPpe(CameraTracks<PpeTrack> camera, PpeTrack track)
    {
        var helmetShare = (double)track.NoHelmetFrames / track.MissingFrames;
        var vestShare = (double)track.NoVestFrames / track.MissingFrames;
        var missing = (track.NoHelmetFrames > 0, track.NoVestFrames > 0) switch
        {
            (true, true) => "helmet and vest",
            (true, false) => "helmet",
            _ => "vest",
        };
        var zone = track.WorkArea!;
        return Signals.Create(
            camera.Context,
            camera.SiteId,
            RuleCatalog.MissingPpe,
            Severity.Medium,
            track.Confidence,
            track.TrackId,
            zone.ZoneId,
            [track.TrackId],
            track.Missing.StartTicks,
            track.Missing.LastSeenTicks,
            new Dictionary<string, double>
            {
                ["missingSeconds"] = Signals.Seconds(track.Missing.DurationTicks),
                ["noHelmetShare"] = helmetShare,
                ["noVestShare"] = vestShare,
            },
            $"Person without {missing} in {zone.Zone.Name}.",
            [track.Evidence(track.Missing)]);
    }
}
