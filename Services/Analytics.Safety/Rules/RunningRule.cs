using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Safety.Rules;

/// <summary>What the running rule remembers about a person: recent reference points in a ring.</summary>
public sealed class MotionTrack : TrackState
{
    // Enough for the speed window at 60 frames per second.
    internal const int Capacity = 64;

    internal readonly long[] _times = new long[Capacity];
    internal readonly double[] _xs = new double[Capacity];
    internal readonly double[] _ys = new double[Capacity];

    internal int Head { get; set; } = -1;

    internal int Count { get; set; }

    private PresenceTracker _running;

    public ref PresenceTracker Running => ref _running;

    /// <summary>Highest smoothed speed of the open running episode.</summary>
    public double PeakSpeed { get; set; }
}

/// <summary>
/// A person whose reference point moves faster than <see cref="SafetySettings.RunningSpeed"/>
/// normalized widths per second. Speed is measured between the newest point and the one about a
/// second before it, so one jittery frame moves it by its jitter per second only, and it must stay
/// above the threshold for a second before it counts. Signals once per episode.
/// </summary>
public sealed class RunningRule(SafetySettings settings)
    : TrackRule<CameraTracks<MotionTrack>, MotionTrack>(settings.MinPresenceSeconds, settings.ExitGraceSeconds)
{
    private static readonly long _windowTicks = TimeSpan.TicksPerSecond;

    // With fewer than this span of history the speed is too noisy to judge.
    private static readonly long _minimumSpanTicks = TimeSpan.TicksPerSecond / 2;

    private static readonly long _sustainTicks = TimeSpan.TicksPerSecond;

    private readonly double _runningSpeed = settings.RunningSpeed;

    protected override void OnUpdate(CameraTracks<MotionTrack> camera, MotionTrack track, TrackUpdate update, long ticks, ISignalSink sink)
    {
        if (track.Class != TrackClass.Person)
        {
            return;
        }

        if (track.Count > 0 && ticks <= track._times[track.Head])
        {
            return;
        }

        if (track.Count > 0 && ticks - track._times[track.Head] > GraceTicks)
        {
            // Speed across a long gap says nothing about running.
            track.Count = 0;
        }

        var head = (track.Head + 1) % MotionTrack.Capacity;
        track.Head = head;
        track._times[head] = ticks;
        track._xs[head] = track.X;
        track._ys[head] = track.Y;
        if (track.Count < MotionTrack.Capacity)
        {
            track.Count++;
        }

        var speed = Speed(track, ticks);
        var wasOpen = track.Running.IsOpen;
        var previousStart = track.Running.StartTicks;
        var change = track.Running.Observe(ticks, speed > _runningSpeed, _sustainTicks, GraceTicks, track.Box);
        if (track.Running.IsOpen && (!wasOpen || track.Running.StartTicks != previousStart))
        {
            track.PeakSpeed = 0;
        }

        if (speed > _runningSpeed && speed > track.PeakSpeed)
        {
            track.PeakSpeed = speed;
        }

        if ((change & PresenceChange.Confirmed) != 0 && !track.Running.Signalled)
        {
            track.Running.Signalled = true;
            sink.Emit(Running(camera, track));
        }
    }

    protected override void OnSweep(CameraTracks<MotionTrack> camera, MotionTrack track, long nowTicks, ISignalSink sink) =>
        track.Running.Expire(nowTicks, GraceTicks);

    private static double Speed(MotionTrack track, long ticks)
    {
        var index = track.Head;
        var oldest = index;
        for (var step = 1; step < track.Count; step++)
        {
            index = (index - 1 + MotionTrack.Capacity) % MotionTrack.Capacity;
            oldest = index;
            if (ticks - track._times[index] >= _windowTicks)
            {
                break;
            }
        }

        var span = ticks - track._times[oldest];
        if (span < _minimumSpanTicks)
        {
            return 0;
        }

        var dx = track._xs[track.Head] - track._xs[oldest];
        var dy = track._ys[track.Head] - track._ys[oldest];
        return Math.Sqrt((dx * dx) + (dy * dy)) / Signals.Seconds(span);
    }

    private static Signal Running(CameraTracks<MotionTrack> camera, MotionTrack track)
    {
        var zone = Zones.FirstContaining(camera.Context, track.X, track.Y);
        return Signals.Create(
            camera.Context,
            camera.SiteId,
            RuleCatalog.Running,
            Severity.Low,
            track.Confidence,
            track.TrackId,
            zone?.ZoneId,
            [track.TrackId],
            track.Running.StartTicks,
            track.Running.LastSeenTicks,
            new Dictionary<string, double>
            {
                ["speed"] = track.PeakSpeed,
                ["runningSeconds"] = Signals.Seconds(track.Running.DurationTicks),
            },
            zone is null ? "Person running." : $"Person running in {zone.Zone.Name}.",
            [track.Evidence(track.Running)]);
    }
}
