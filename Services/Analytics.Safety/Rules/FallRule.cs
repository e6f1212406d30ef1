using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Safety.Rules;

/// <summary>What the fall rule remembers about a person.</summary>
public sealed class PostureTrack : TrackState
{
    /// <summary>Box height while last standing, smoothed; 0 until the person was seen upright.</summary>
    public double UprightHeight { get; set; }

    private PresenceTracker _lying;

    public ref PresenceTracker Lying => ref _lying;
}

/// <summary>
/// A person whose box turned from tall to wide (width / height at least
/// <see cref="SafetySettings.FallAspectRatio"/>) and stays low, or whom the tracker marks
/// <c>fallen</c>, for <see cref="SafetySettings.FallSeconds"/>. Someone who was never seen upright
/// does not fall from a wide box alone: a person lying on a bench from the start did not fall.
/// </summary>
public sealed class FallRule(SafetySettings settings)
    : TrackRule<CameraTracks<PostureTrack>, PostureTrack>(settings.MinPresenceSeconds, settings.ExitGraceSeconds)
{
    // A standing person's box is clearly taller than wide.
    private const double UprightAspectRatio = 1.0;

    // Lying down at least drops the box top by this share of the standing height.
    private const double LowHeightShare = 0.7;

    private const string FallenAttribute = "fallen";

    private readonly double _fallAspectRatio = settings.FallAspectRatio;
    private readonly long _fallTicks = settings.FallSeconds * TimeSpan.TicksPerSecond;

    protected override void OnUpdate(CameraTracks<PostureTrack> camera, PostureTrack track, TrackUpdate update, long ticks, ISignalSink sink)
    {
        if (track.Class != TrackClass.Person)
        {
            return;
        }

        var box = update.Box;
        var aspect = box.Width / box.Height;
        var marked = Attributes.Has(update.Attributes, FallenAttribute);
        if (aspect < UprightAspectRatio && !marked)
        {
            track.UprightHeight = track.UprightHeight == 0 ? box.Height : track.UprightHeight + ((box.Height - track.UprightHeight) * 0.3);
        }

        var turnedWide = track.UprightHeight > 0 && aspect >= _fallAspectRatio && box.Height <= track.UprightHeight * LowHeightShare;
        var change = track.Lying.Observe(ticks, marked || turnedWide, _fallTicks, GraceTicks, track.Box);
        if ((change & PresenceChange.Confirmed) != 0 && !track.Lying.Signalled)
        {
            track.Lying.Signalled = true;
            sink.Emit(Fall(camera, track, aspect, marked));
        }
    }

    protected override void OnSweep(CameraTracks<PostureTrack> camera, PostureTrack track, long nowTicks, ISignalSink sink) =>
        track.Lying.Expire(nowTicks, GraceTicks);

    private static Signal Fall(CameraTracks<PostureTrack> camera, PostureTrack track, double aspect, bool marked)
    {
        var zone = Zones.FirstContaining(camera.Context, track.X, track.Y);
        var measurements = new Dictionary<string, double>
        {
            ["aspectRatio"] = aspect,
            ["lyingSeconds"] = Signals.Seconds(track.Lying.DurationTicks),
            ["fallenAttribute"] = marked ? 1 : 0,
        };
        if (track.UprightHeight > 0)
        {
            measurements["heightShareOfStanding"] = track.Box.Height / track.UprightHeight;
        }

        return Signals.Create(
            camera.Context,
            camera.SiteId,
            RuleCatalog.Fall,
            Severity.Critical,
            track.Confidence,
            track.TrackId,
            zone?.ZoneId,
            [track.TrackId],
            track.Lying.StartTicks,
            track.Lying.LastSeenTicks,
            measurements,
            zone is null ? "Person fell and stayed down." : $"Person fell in {zone.Zone.Name} and stayed down.",
            [track.Evidence(track.Lying)]);
    }
}
