using Analytics.Schemas.Contracts;

namespace Analytics.Scenes;

/// <summary>
/// A scripted camera scene: actors move along segments and the scene renders them as a tracker
/// would report them, with box noise, at a fixed frame rate, plus ground-truth labels.
/// </summary>
/// <remarks>
/// Frames are rendered strictly in order (<see cref="RenderFrame"/>), one random sequence per
/// scene, so a real-time player and an event-time test see the same observations for a seed.
/// </remarks>
public sealed class SceneScript
{
    // Observed on real trackers: a few thousandths of the image of jitter per frame.
    private const double PositionNoise = 0.003;

    private readonly Random _random;
    private readonly List<Actor> _actors = [];
    private readonly List<AffectSubject> _subjects = [];
    private readonly List<Zone> _zones = [];
    private readonly List<Label> _labels = [];

    public SceneScript(string orgId, string siteId, string cameraId, DateTimeOffset start, int seed = 7, double fps = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        OrgId = orgId;
        SiteId = siteId;
        CameraId = cameraId;
        Start = start;
        Fps = fps;
        _random = new Random(seed);
    }

    public string OrgId { get; }

    public string SiteId { get; }

    public string CameraId { get; }

    public DateTimeOffset Start { get; }

    public double Fps { get; }

    /// <summary>Share of visible frames in which the tracker misses an object for one frame; 0 for none.</summary>
    public double DropoutRate { get; init; }

    public IReadOnlyList<Label> Labels => _labels;

    public IReadOnlyList<Zone> Zones => _zones;

    /// <summary>Where the script ends, seconds after the scene start.</summary>
    public double EndSecond => Math.Max(
        _actors.Count == 0 ? 0 : _actors.Max(actor => actor.EndSecond),
        _subjects.Count == 0 ? 0 : _subjects.Max(subject => subject.EndSecond));

    /// <summary>Frames the scene renders, the first at the start and the last at <see cref="EndSecond"/>.</summary>
    public int FrameCount => (int)Math.Round(EndSecond * Fps) + 1;

    public Zone Zone(
        string zoneId, ZoneKind kind, double left, double top, double right, double bottom, ActiveHours? schedule = null,
        IReadOnlyList<string>? rules = null, ZoneThresholds? thresholds = null)
    {
        var zone = new Zone
        {
            OrgId = OrgId,
            SiteId = SiteId,
            CameraId = CameraId,
            ZoneId = zoneId,
            Name = zoneId,
            Kind = kind,
            Polygon = [new(left, top), new(right, top), new(right, bottom), new(left, bottom)],
            Schedule = schedule,
            Rules = rules,
            Thresholds = thresholds,
        };
        _zones.Add(zone);
        return zone;
    }

    public Actor Person(string trackId, double x, double y, double atSecond = 0) => Add(new Actor(this, trackId, "person", x, y, atSecond, 0.08, 0.25));

    public Actor Product(string trackId, double x, double y, double atSecond = 0) => Add(new Actor(this, trackId, "product", x, y, atSecond, 0.03, 0.04));

    /// <summary>An anonymous subject reporting affect once per second in <paramref name="zoneId"/>.</summary>
    public AffectSubject Subject(string subjectKey, string zoneId, double atSecond = 0)
    {
        var subject = new AffectSubject(subjectKey, zoneId, atSecond);
        _subjects.Add(subject);
        return subject;
    }

    public void Expect(string kind, string subject, double? startSecond = null) => _labels.Add(new Label(kind, subject, startSecond));

    public DateTimeOffset At(double second) => Start.AddTicks((long)Math.Round(second * TimeSpan.TicksPerSecond));

    /// <summary>Appends frame <paramref name="frame"/>'s observations; frames must be rendered in order, once each.</summary>
    public void RenderFrame(int frame, List<Observation> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var second = frame / Fps;
        foreach (var actor in _actors)
        {
            if (actor.Render(second, _random) is { } update)
            {
                into.Add(update);
            }
        }

        // Affect is sampled once per second, on the first frame of each second.
        if (_subjects.Count > 0 && (frame == 0 || Math.Floor(second) > Math.Floor((frame - 1) / Fps)))
        {
            foreach (var subject in _subjects)
            {
                if (subject.Render(this, Math.Floor(second), _random) is { } sample)
                {
                    into.Add(sample);
                }
            }
        }
    }

    /// <summary>Every observation in frame order, as the log would deliver it.</summary>
    public List<Observation> Observations()
    {
        var result = new List<Observation>();
        var frames = FrameCount;
        for (var frame = 0; frame < frames; frame++)
        {
            RenderFrame(frame, result);
        }

        return result;
    }

    private Actor Add(Actor actor)
    {
        _actors.Add(actor);
        return actor;
    }

    private static double Noise(Random random) => Math.Clamp((random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 1.4, -1, 1);

    /// <summary>One tracked object following a script of segments, each starting where the last ended.</summary>
    public sealed class Actor
    {
        private readonly SceneScript _scene;
        private readonly string _objectClass;
        private readonly List<Segment> _segments = [];
        private double _x;
        private double _y;
        private readonly double _width;
        private readonly double _height;
        private string[] _attributes = [];

        internal Actor(SceneScript scene, string trackId, string objectClass, double x, double y, double atSecond, double width, double height)
        {
            _scene = scene;
            TrackId = trackId;
            _objectClass = objectClass;
            _x = x;
            _y = y;
            _width = width;
            _height = height;
            EndSecond = atSecond;
        }

        public string TrackId { get; }

        /// <summary>Where the script currently ends, seconds after the scene start.</summary>
        public double EndSecond { get; private set; }

        public Actor Walk(double toX, double toY, double seconds) => Append(seconds, toX, toY, visible: true);

        public Actor Stay(double seconds) => Append(seconds, _x, _y, visible: true);

        /// <summary>The tracker loses the object (occlusion, flicker) while it stays where it is.</summary>
        public Actor Hide(double seconds) => Append(seconds, _x, _y, visible: false);

        /// <summary>The box turns wide and low, as a person lying on the floor looks.</summary>
        public Actor Lie(double seconds) => Posed(seconds, width: 0.22, height: 0.09);

        /// <summary>The box turns square and lower for a moment, as when someone bends down.</summary>
        public Actor Bend(double seconds) => Posed(seconds, width: 0.16, height: 0.11);

        /// <summary>Stays where it is with another box for <paramref name="seconds"/>, then has its own box again.</summary>
        private Actor Posed(double seconds, double width, double height) => Append(seconds, _x, _y, visible: true, (width, height));

        public Actor With(params string[] attributes)
        {
            _attributes = attributes;
            return this;
        }

        /// <summary>Moves with <paramref name="carrier"/>, at an offset from its reference point, until <paramref name="untilSecond"/>.</summary>
        public Actor Carried(Actor carrier, double offsetX, double offsetY, double untilSecond)
        {
            ArgumentNullException.ThrowIfNull(carrier);
            _segments.Add(new Segment(EndSecond, untilSecond, _x, _y, _x, _y, _width, _height, _attributes, true, carrier, offsetX, offsetY));
            EndSecond = untilSecond;
            (_x, _y) = carrier.PositionAt(untilSecond);
            _x += offsetX;
            _y += offsetY;
            return this;
        }

        internal (double X, double Y) PositionAt(double second)
        {
            foreach (var segment in _segments)
            {
                if (second >= segment.From && second <= segment.To)
                {
                    return segment.PositionAt(second);
                }
            }

            return (_x, _y);
        }

        internal TrackUpdate? Render(double second, Random random)
        {
            var segment = _segments.Find(s => second >= s.From && second < s.To);
            if (segment is null || !segment.Visible)
            {
                return null;
            }

            if (_scene.DropoutRate > 0 && random.NextDouble() < _scene.DropoutRate)
            {
                return null;
            }

            var (x, y) = segment.PositionAt(second);
            var width = segment.Width * (1 + (Noise(random) * 0.02));
            var height = segment.Height * (1 + (Noise(random) * 0.02));
            var left = Math.Clamp(x - (width / 2) + (Noise(random) * PositionNoise), 0, 1 - width);
            var top = Math.Clamp(y - height + (Noise(random) * PositionNoise), 0, 1 - height);
            return new TrackUpdate
            {
                SchemaVersion = 1,
                SiteId = _scene.SiteId,
                CameraId = _scene.CameraId,
                OccurredAt = _scene.At(second),
                TrackId = TrackId,
                ObjectClass = _objectClass,
                Confidence = 0.85 + (Noise(random) * 0.05),
                Box = new BoundingBox(left, top, width, height),
                Attributes = segment.Attributes,
            };
        }

        // box: the box of this segment only, when not the actor's own.
        private Actor Append(double seconds, double toX, double toY, bool visible, (double Width, double Height)? box = null)
        {
            var (width, height) = box ?? (_width, _height);
            _segments.Add(new Segment(EndSecond, EndSecond + seconds, _x, _y, toX, toY, width, height, _attributes, visible, null, 0, 0));
            EndSecond += seconds;
            _x = toX;
            _y = toY;
            return this;
        }
    }

    /// <summary>An anonymous classroom subject whose affect follows a script of periods.</summary>
    public sealed class AffectSubject
    {
        private readonly List<Mood> _moods = [];

        internal AffectSubject(string subjectKey, string zoneId, double atSecond)
        {
            SubjectKey = subjectKey;
            ZoneId = zoneId;
            EndSecond = atSecond;
        }

        public string SubjectKey { get; }

        public string ZoneId { get; }

        public double EndSecond { get; private set; }

        /// <summary>Reports <paramref name="engagement"/> and <paramref name="valence"/>, with a little noise, for <paramref name="seconds"/>.</summary>
        public AffectSubject Feel(double seconds, double engagement, double valence = 0.3)
        {
            _moods.Add(new Mood(EndSecond, EndSecond + seconds, engagement, valence, Visible: true));
            EndSecond += seconds;
            return this;
        }

        /// <summary>The camera loses the subject's face (turned away, occluded).</summary>
        public AffectSubject Hide(double seconds)
        {
            _moods.Add(new Mood(EndSecond, EndSecond + seconds, 0, 0, Visible: false));
            EndSecond += seconds;
            return this;
        }

        internal AffectTelemetry? Render(SceneScript scene, double second, Random random)
        {
            var mood = _moods.Find(m => second >= m.From && second < m.To);
            if (mood is null || !mood.Visible)
            {
                return null;
            }

            return new AffectTelemetry
            {
                SchemaVersion = 1,
                SiteId = scene.SiteId,
                CameraId = scene.CameraId,
                OccurredAt = scene.At(second),
                ZoneId = ZoneId,
                SubjectKey = SubjectKey,
                Engagement = Math.Clamp(mood.Engagement + (Noise(random) * 0.05), 0, 1),
                Valence = Math.Clamp(mood.Valence + (Noise(random) * 0.05), -1, 1),
                Arousal = Math.Clamp(0.5 + (Noise(random) * 0.1), 0, 1),
                Confidence = Math.Clamp(0.8 + (Noise(random) * 0.05), 0, 1),
            };
        }

        private sealed record Mood(double From, double To, double Engagement, double Valence, bool Visible);
    }

    private sealed record Segment(
        double From, double To, double FromX, double FromY, double ToX, double ToY, double Width, double Height,
        string[] Attributes, bool Visible, Actor? Carrier, double OffsetX, double OffsetY)
    {
        public (double X, double Y) PositionAt(double second)
        {
            if (Carrier is not null)
            {
                var (x, y) = Carrier.PositionAt(second);
                return (x + OffsetX, y + OffsetY);
            }

            var share = To > From ? (second - From) / (To - From) : 1;
            return (FromX + ((ToX - FromX) * share), FromY + ((ToY - FromY) * share));
        }
    }
}
