using System.Text.Json;
using Analytics.Rules;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Rules;

/// <summary>A behaviour the scene's script contains, which the rules must report exactly once.</summary>
/// <param name="Kind">Signal kind.</param>
/// <param name="Subject">Track id, or zone id for zone-level behaviours.</param>
/// <param name="StartSecond">When the script makes it start, seconds after the scene start; null when not asserted.</param>
public sealed record Label(string Kind, string Subject, double? StartSecond = null);

/// <summary>
/// A scripted camera scene: actors move along segments and the scene renders them as a tracker
/// would report them, with box noise, at a fixed frame rate, plus ground-truth labels.
/// </summary>
public sealed class Scene(int seed = 7, double fps = 10, DateTimeOffset? start = null)
{
    public const string OrgId = "org-scene";
    public const string SiteId = "site-scene";
    public const string CameraId = "cam-scene";

    // Observed on real trackers: a few thousandths of the image of jitter per frame.
    private const double PositionNoise = 0.003;

    private readonly Random _random = new(seed);
    private readonly List<Actor> _actors = [];
    private readonly List<Zone> _zones = [];
    private readonly List<Label> _labels = [];

    public DateTimeOffset Start { get; } = start ?? new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero);

    public double Fps { get; } = fps;

    public IReadOnlyList<Label> Labels => _labels;

    public IReadOnlyList<Zone> Zones => _zones;

    public Zone Zone(string zoneId, ZoneKind kind, double left, double top, double right, double bottom, ActiveHours? schedule = null)
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
        };
        _zones.Add(zone);
        return zone;
    }

    public Actor Person(string trackId, double x, double y, double atSecond = 0) => Add(new Actor(this, trackId, "person", x, y, atSecond, 0.08, 0.25));

    public Actor Product(string trackId, double x, double y, double atSecond = 0) => Add(new Actor(this, trackId, "product", x, y, atSecond, 0.03, 0.04));

    public void Expect(string kind, string subject, double? startSecond = null) => _labels.Add(new Label(kind, subject, startSecond));

    public RuleContext Context() => new(OrgId, CameraId, _zones);

    /// <summary>Every observation in frame order, as the log would deliver it.</summary>
    public List<Observation> Observations()
    {
        var end = _actors.Count == 0 ? 0 : _actors.Max(actor => actor.EndSecond);
        var frames = (int)Math.Round(end * Fps);
        var result = new List<Observation>();
        for (var frame = 0; frame <= frames; frame++)
        {
            var second = frame / Fps;
            foreach (var actor in _actors)
            {
                if (actor.Render(second, _random) is { } update)
                {
                    result.Add(update);
                }
            }
        }

        return result;
    }

    public DateTimeOffset At(double second) => Start.AddTicks((long)Math.Round(second * TimeSpan.TicksPerSecond));

    /// <summary>Feeds the scene to <paramref name="rule"/>, then lets event time run past every grace and window.</summary>
    public IReadOnlyList<Signal> Run(IRule rule, IEnumerable<Observation>? observations = null)
    {
        var context = Context();
        var sink = new SignalBuffer();
        var list = (observations ?? Observations()).ToList();
        foreach (var observation in list)
        {
            rule.Observe(observation, context, sink);
        }

        var last = list.Count == 0 ? Start : list.Max(o => o.OccurredAt);
        rule.Advance(last.AddHours(2), sink);
        return sink.Signals;
    }

    /// <summary>Asserts the signals are exactly the labels (as a multiset), valid and uniquely identified.</summary>
    public void AssertExactly(IReadOnlyList<Signal> signals, double startToleranceSeconds = 1.5)
    {
        var actual = signals.Select(s => $"{s.Kind}:{SubjectOf(s)}").Order(StringComparer.Ordinal).ToList();
        var expected = _labels.Select(l => $"{l.Kind}:{l.Subject}").Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"expected [{string.Join(", ", expected)}] but got [{string.Join(", ", actual)}]");
        Assert.Equal(signals.Count, signals.Select(s => s.Id).Distinct(StringComparer.Ordinal).Count());
        foreach (var signal in signals)
        {
            Assert.Empty(ContractValidator.Validate(signal, signal.EndedAt.AddHours(1)));
            Assert.Equal(OrgId, signal.OrgId);
            Assert.Equal(SiteId, signal.SiteId);
            Assert.Equal(CameraId, signal.CameraId);
            Assert.Equal(1, signal.SchemaVersion);
            Assert.False(string.IsNullOrWhiteSpace(signal.Evidence.Summary));
            Assert.NotEmpty(signal.Evidence.Measurements);
            Assert.Matches("^[0-9a-f]{32}$", signal.Id);
        }

        foreach (var label in _labels.Where(l => l.StartSecond is not null))
        {
            var candidates = signals.Where(s => s.Kind == label.Kind).Select(s => (s.StartedAt - Start).TotalSeconds).ToList();
            Assert.Contains(candidates, second => Math.Abs(second - label.StartSecond!.Value) <= startToleranceSeconds);
        }
    }

    // Zone-level behaviours belong to their zone, the others to the first track involved.
    private static string? SubjectOf(Signal signal) =>
        signal.Kind is Signals.Kinds.Crowding or Signals.Kinds.LowEngagement or Signals.Kinds.Distress ? signal.ZoneId : signal.TrackIds[0];

    public static string Json(IEnumerable<Signal> signals) =>
        JsonSerializer.Serialize(signals.ToList(), AnalyticsJsonContext.Default.IReadOnlyListSignal);

    private Actor Add(Actor actor)
    {
        _actors.Add(actor);
        return actor;
    }

    /// <summary>One tracked object following a script of segments, each starting where the last ended.</summary>
    public sealed class Actor
    {
        private readonly Scene _scene;
        private readonly string _objectClass;
        private readonly List<Segment> _segments = [];
        private double _x;
        private double _y;
        private double _width;
        private double _height;
        private string[] _attributes = [];

        internal Actor(Scene scene, string trackId, string objectClass, double x, double y, double atSecond, double width, double height)
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
        public Actor Lie(double seconds)
        {
            var (width, height) = (_width, _height);
            _width = 0.22;
            _height = 0.09;
            Append(seconds, _x, _y, visible: true);
            (_width, _height) = (width, height);
            return this;
        }

        /// <summary>The box turns square and lower for a moment, as when someone bends down.</summary>
        public Actor Bend(double seconds)
        {
            var (width, height) = (_width, _height);
            _width = 0.16;
            _height = 0.11;
            Append(seconds, _x, _y, visible: true);
            (_width, _height) = (width, height);
            return this;
        }

        public Actor With(params string[] attributes)
        {
            _attributes = attributes;
            return this;
        }

        /// <summary>Moves with <paramref name="carrier"/>, at an offset from its reference point, until <paramref name="untilSecond"/>.</summary>
        public Actor Carried(Actor carrier, double offsetX, double offsetY, double untilSecond)
        {
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

            var (x, y) = segment.PositionAt(second);
            var width = segment.Width * (1 + (Noise(random) * 0.02));
            var height = segment.Height * (1 + (Noise(random) * 0.02));
            var left = Math.Clamp(x - (width / 2) + (Noise(random) * PositionNoise), 0, 1 - width);
            var top = Math.Clamp(y - height + (Noise(random) * PositionNoise), 0, 1 - height);
            return new TrackUpdate
            {
                SchemaVersion = 1,
                SiteId = SiteId,
                CameraId = CameraId,
                OccurredAt = _scene.At(second),
                TrackId = TrackId,
                ObjectClass = _objectClass,
                Confidence = 0.85 + (Noise(random) * 0.05),
                Box = new BoundingBox(left, top, width, height),
                Attributes = segment.Attributes,
            };
        }

        private static double Noise(Random random) => Math.Clamp((random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 1.4, -1, 1);

        private Actor Append(double seconds, double toX, double toY, bool visible)
        {
            _segments.Add(new Segment(EndSecond, EndSecond + seconds, _x, _y, toX, toY, _width, _height, _attributes, visible, null, 0, 0));
            EndSecond += seconds;
            _x = toX;
            _y = toY;
            return this;
        }
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
