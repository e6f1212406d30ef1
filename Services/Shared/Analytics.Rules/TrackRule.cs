using System.Runtime.InteropServices;
using Analytics.Schemas.Contracts;

namespace Analytics.Rules;

/// <summary>Object classes the rules distinguish; everything else is <see cref="Other"/>.</summary>
public enum TrackClass
{
    Other,
    Person,
    Product,
}

/// <summary>What a track rule remembers about one track of one camera. Allocated once per new track.</summary>
public class TrackState
{
    public string TrackId { get; private set; } = string.Empty;

    public string ObjectClass { get; private set; } = string.Empty;

    public TrackClass Class { get; private set; }

    /// <summary>Start of the current streak of sightings; reset when the track was gone for longer than the grace.</summary>
    public long FirstSeenTicks { get; private set; }

    public long LastSeenTicks { get; private set; }

    /// <summary>Reference point: the bottom centre of the box, where the feet are, so zones drawn on the floor match.</summary>
    public double X { get; private set; }

    /// <inheritdoc cref="X"/>
    public double Y { get; private set; }

    // Until the first update; boxes are immutable, so every track can share it.
    private static readonly BoundingBox WholeImage = new(0, 0, 1, 1);

    /// <summary>The box of the update fed last, which the rules reason on.</summary>
    public BoundingBox Box { get; private set; } = WholeImage;

    /// <summary>
    /// The box of the newest update, the one at <see cref="LastSeenTicks"/>: what a signal shows as
    /// the track's last box. The same as <see cref="Box"/> unless an update arrived slightly out of order.
    /// </summary>
    public BoundingBox NewestBox { get; private set; } = WholeImage;

    /// <summary>Detector confidence, smoothed over recent frames.</summary>
    public double Confidence { get; private set; }

    /// <summary>Presence in each zone of the camera, indexed like <see cref="RuleContext.Zones"/>.</summary>
    public PresenceTracker[] Zones { get; internal set; } = [];

    /// <summary>The track's boxes for a signal: its last box, and <paramref name="presence"/>'s first one.</summary>
    public TrackEvidence Evidence(in PresenceTracker presence) =>
        new(TrackId, ObjectClass, NewestBox, LastSeenTicks, presence.StartBox, presence.StartTicks);

    /// <summary>The track's last box for a signal, alone.</summary>
    public TrackEvidence Evidence() => new(TrackId, ObjectClass, NewestBox, LastSeenTicks);

    internal void Start(TrackUpdate update, long ticks, int zoneCount)
    {
        TrackId = update.TrackId;
        FirstSeenTicks = ticks;
        LastSeenTicks = ticks;
        Confidence = update.Confidence;
        Zones = new PresenceTracker[zoneCount];
    }

    internal void Update(TrackUpdate update, long ticks, long graceTicks)
    {
        if (!ReferenceEquals(ObjectClass, update.ObjectClass) && !string.Equals(ObjectClass, update.ObjectClass, StringComparison.Ordinal))
        {
            ObjectClass = update.ObjectClass;
            Class = Classify(update.ObjectClass);
        }

        if (ticks - LastSeenTicks > graceTicks)
        {
            FirstSeenTicks = ticks;
        }

        var box = update.Box;
        if (ticks >= LastSeenTicks)
        {
            LastSeenTicks = ticks;
            NewestBox = box;
        }

        Box = box;
        X = box.X + (box.Width / 2);
        Y = box.Y + box.Height;
        Confidence += (update.Confidence - Confidence) * 0.2;
    }

    private static TrackClass Classify(string objectClass) => objectClass switch
    {
        "person" => TrackClass.Person,
        "product" => TrackClass.Product,
        _ => TrackClass.Other,
    };
}

/// <summary>One camera's tracks as seen by one rule, with the camera's event-time clock.</summary>
public class CameraTracks<TTrack>
    where TTrack : TrackState
{
    public RuleContext Context { get; internal set; } = null!;

    public string SiteId { get; internal set; } = string.Empty;

    /// <summary>The camera's watermark as the engine last advanced it, UTC ticks; never moves back.</summary>
    public long ClockTicks { get; internal set; }

    public Dictionary<string, TTrack> Tracks { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The common shape of rules over track updates: camera and track lookup without allocation,
/// sweeps on the camera's clock (which <see cref="RuleEngine"/> advances about once per event-time
/// second) that end presences of vanished tracks and evict them, closing a camera, and zone
/// changes. Subclasses add what they detect.
/// </summary>
public abstract class TrackRule<TCamera, TTrack> : IRule
    where TCamera : CameraTracks<TTrack>, new()
    where TTrack : TrackState, new()
{
    private readonly Dictionary<(string OrgId, string CameraId), TCamera> _cameras = [];
    private TCamera? _lastCamera;

    protected TrackRule(int minPresenceSeconds, int exitGraceSeconds)
    {
        MinPresenceTicks = minPresenceSeconds * TimeSpan.TicksPerSecond;
        GraceTicks = exitGraceSeconds * TimeSpan.TicksPerSecond;
    }

    protected long MinPresenceTicks { get; }

    protected long GraceTicks { get; }

    public IReadOnlySet<string> ObservationTypes { get; } = new HashSet<string>([EventTypes.TrackUpdate], StringComparer.Ordinal);

    public void Observe(Observation observation, RuleContext context, ISignalSink sink)
    {
        if (observation is not TrackUpdate update)
        {
            return;
        }

        var camera = CameraFor(context);
        camera.SiteId = update.SiteId;
        var ticks = update.OccurredAt.UtcTicks;
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(camera.Tracks, update.TrackId, out var exists);
        var track = slot;
        if (!exists || track is null)
        {
            track = slot = new TTrack();
            track.Start(update, ticks, context.Zones.Length);
        }

        track.Update(update, ticks, GraceTicks);
        OnUpdate(camera, track, update, ticks, sink);
    }

    public void Advance(RuleContext context, DateTimeOffset watermark, ISignalSink sink)
    {
        if (KnownCamera(context) is not { } camera)
        {
            return;
        }

        var ticks = watermark.UtcTicks;
        if (ticks > camera.ClockTicks)
        {
            camera.ClockTicks = ticks;
            Sweep(camera, sink);
        }
    }

    public void Close(RuleContext context, DateTimeOffset lastObserved, ISignalSink sink)
    {
        if (KnownCamera(context) is not { } camera)
        {
            return;
        }

        // Past every track's grace: presences end where they were last seen, tracks are evicted.
        camera.ClockTicks = Math.Max(camera.ClockTicks, lastObserved.UtcTicks + GraceTicks + 1);
        Sweep(camera, sink);
        foreach (var track in camera.Tracks.Values)
        {
            OnEvicted(camera, track);
        }

        camera.Tracks.Clear();
        _cameras.Remove((context.OrgId, context.CameraId));
        _lastCamera = null;
    }

    public IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> OpenStateSince()
    {
        var result = new Dictionary<(string OrgId, string CameraId), DateTimeOffset>();
        foreach (var camera in _cameras.Values)
        {
            var oldest = CameraOpenSince(camera);
            foreach (var track in camera.Tracks.Values)
            {
                oldest = Math.Min(oldest, OpenSince(camera, track));
            }

            if (oldest != long.MaxValue)
            {
                var at = new DateTimeOffset(oldest, TimeSpan.Zero);
                var key = (camera.Context.OrgId, camera.Context.CameraId);
                result[key] = result.TryGetValue(key, out var known) && known < at ? known : at;
            }
        }

        return result;
    }

    /// <summary>Handles one update of a track after the common bookkeeping.</summary>
    protected abstract void OnUpdate(TCamera camera, TTrack track, TrackUpdate update, long ticks, ISignalSink sink);

    /// <summary>Called for a zone presence that was confirmed or ended, during an update or a sweep.</summary>
    protected virtual void OnZoneChange(TCamera camera, TTrack track, int zoneIndex, PresenceChange change, long ticks, ISignalSink sink)
    {
    }

    /// <summary>Called once per sweep after every track was swept, for state kept per zone or camera.</summary>
    protected virtual void OnCameraSwept(TCamera camera, long nowTicks, ISignalSink sink)
    {
    }

    /// <summary>Called for each track on a sweep, before eviction is considered; ends zone presences that timed out.</summary>
    protected virtual void OnSweep(TCamera camera, TTrack track, long nowTicks, ISignalSink sink)
    {
        var zones = track.Zones;
        for (var i = 0; i < zones.Length; i++)
        {
            var change = zones[i].Expire(nowTicks, GraceTicks);
            if (change != PresenceChange.None)
            {
                OnZoneChange(camera, track, i, change, nowTicks, sink);
            }
        }
    }

    /// <summary>Whether a track that has not been seen for a while can be forgotten.</summary>
    protected virtual bool CanEvict(TCamera camera, TTrack track, long nowTicks) => nowTicks - track.LastSeenTicks > GraceTicks;

    /// <summary>Called when a track is forgotten.</summary>
    protected virtual void OnEvicted(TCamera camera, TTrack track)
    {
    }

    /// <summary>The earliest event time the track's open state depends on.</summary>
    protected virtual long OpenSince(TCamera camera, TTrack track) => track.FirstSeenTicks;

    /// <summary>The earliest event time camera-level state depends on, or <see cref="long.MaxValue"/>.</summary>
    protected virtual long CameraOpenSince(TCamera camera) => long.MaxValue;

    /// <summary>Called after the camera's zones changed and every track's presences were remapped.</summary>
    protected virtual void OnZonesChanged(TCamera camera, RuleContext previous)
    {
    }

    /// <summary>Feeds one zone sample to a track's presence and reports what changed.</summary>
    protected void ObserveZone(TCamera camera, TTrack track, int zoneIndex, bool inside, long minimumTicks, long ticks, ISignalSink sink)
    {
        var change = track.Zones[zoneIndex].Observe(ticks, inside, minimumTicks, GraceTicks, track.Box);
        if (change != PresenceChange.None)
        {
            OnZoneChange(camera, track, zoneIndex, change, ticks, sink);
        }
    }

    protected static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    /// <summary>The camera's state if the rule has seen it, with its zones brought up to <paramref name="context"/>.</summary>
    private TCamera? KnownCamera(RuleContext context)
    {
        if (!_cameras.TryGetValue((context.OrgId, context.CameraId), out var camera))
        {
            return null;
        }

        if (!ReferenceEquals(camera.Context, context))
        {
            Rezone(camera, context);
        }

        return camera;
    }

    private TCamera CameraFor(RuleContext context)
    {
        // Observations arrive in runs per camera, so a reference check usually replaces the lookup.
        var camera = _lastCamera;
        if (camera is not null && ReferenceEquals(camera.Context, context))
        {
            return camera;
        }

        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_cameras, (context.OrgId, context.CameraId), out var exists);
        if (!exists || slot is null)
        {
            slot = new TCamera { Context = context };
        }

        camera = slot;
        if (!ReferenceEquals(camera.Context, context))
        {
            Rezone(camera, context);
        }

        _lastCamera = camera;
        return camera;
    }

    // A zone keeps its presences across a zone update when its id survives; presences in removed
    // zones end without a signal because the operator no longer asks about them.
    private void Rezone(TCamera camera, RuleContext context)
    {
        var previous = camera.Context;
        var map = new int[context.Zones.Length];
        for (var i = 0; i < map.Length; i++)
        {
            map[i] = previous.IndexOf(context.Zones[i].ZoneId);
        }

        foreach (var track in camera.Tracks.Values)
        {
            var zones = new PresenceTracker[map.Length];
            for (var i = 0; i < map.Length; i++)
            {
                if (map[i] >= 0 && map[i] < track.Zones.Length)
                {
                    zones[i] = track.Zones[map[i]];
                }
            }

            track.Zones = zones;
        }

        camera.Context = context;
        OnZonesChanged(camera, previous);
    }

    private void Sweep(TCamera camera, ISignalSink sink)
    {
        var now = camera.ClockTicks;
        foreach (var (trackId, track) in camera.Tracks)
        {
            OnSweep(camera, track, now, sink);
            if (CanEvict(camera, track, now))
            {
                // Removing during enumeration is allowed for Dictionary since .NET Core 3.0.
                camera.Tracks.Remove(trackId);
                OnEvicted(camera, track);
            }
        }

        OnCameraSwept(camera, now, sink);
    }
}
