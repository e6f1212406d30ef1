using System.Runtime.CompilerServices;
using Analytics.Antitheft;
using Analytics.Antitheft.Rules;
using Analytics.Safety;
using Analytics.Safety.Rules;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;
using BenchmarkDotNet.Attributes;

namespace Analytics.Rules.Benchmarks;

/// <summary>
/// Track updates per second through a service's rules in the steady state: every track already
/// known, no behaviour completing. A store of 4 cameras with 12 walking people and 8 shelved
/// products each, at 10 frames per second, repeats a 60 s loop while event time keeps moving on.
/// Updates go through the <see cref="RuleEngine"/> as in the services, so each camera's clock
/// (lateness check, watermark, advancing the rules once per second) is part of the figure.
/// </summary>
[MemoryDiagnoser]
public class RuleThroughput
{
    private const int Cameras = 4;
    private const int People = 12;
    private const int Products = 8;
    private const int Frames = 600;
    private const int Batch = 10_000;
    private static readonly long _frameTicks = TimeSpan.TicksPerSecond / 10;

    private TrackUpdate[] _updates = [];
    private int[] _frameOf = [];
    private RuleContext[] _contextOf = [];
    private RuleEngine _engine = null!;
    private readonly CountingSink _sink = new();
    private long _baseTicks;
    private int _cursor;
    private long _lap;

    [Params("antitheft", "safety")]
    public string Service { get; set; } = "antitheft";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var updates = new List<TrackUpdate>();
        var frames = new List<int>();
        var contexts = new List<RuleContext>();
        var cameraContexts = new RuleContext[Cameras];
        for (var camera = 0; camera < Cameras; camera++)
        {
            cameraContexts[camera] = new RuleContext("org-bench", $"cam-{camera}", StoreZones($"cam-{camera}"));
        }

        _baseTicks = new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero).UtcTicks;
        for (var frame = 0; frame < Frames; frame++)
        {
            var phase = 2 * Math.PI * frame / Frames;
            for (var camera = 0; camera < Cameras; camera++)
            {
                for (var person = 0; person < People; person++)
                {
                    // Each person walks a closed loop through the store once per 60 s.
                    var x = 0.5 + (0.35 * Math.Cos(phase + person));
                    var y = 0.6 + (0.3 * Math.Sin(phase + person));
                    updates.Add(Update(camera, $"person-{person}", "person", x, y, 0.08, 0.25, random));
                    frames.Add(frame);
                    contexts.Add(cameraContexts[camera]);
                }

                for (var product = 0; product < Products; product++)
                {
                    updates.Add(Update(camera, $"product-{product}", "product", 0.12 + (product * 0.03), 0.6, 0.03, 0.04, random));
                    frames.Add(frame);
                    contexts.Add(cameraContexts[camera]);
                }
            }
        }

        _updates = [.. updates];
        _frameOf = [.. frames];
        _contextOf = [.. contexts];
        var rules = Service == "antitheft" ? AntitheftRules.Create(new AntitheftSettings()) : SafetyRules.Create(new SafetySettings());
        _engine = new RuleEngine(rules, TimeSpan.FromSeconds(new RulesSettings().AllowedLatenessSeconds));

        // Two laps create every track and settle every presence before measuring.
        for (var i = 0; i < 2 * _updates.Length; i++)
        {
            Next();
        }

        _sink.Count = 0;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "track update")]
    public void TrackUpdates()
    {
        for (var i = 0; i < Batch; i++)
        {
            Next();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Console.WriteLine($"// signals during measurement: {_sink.Count}");

    private void Next()
    {
        var update = _updates[_cursor];
        OccurredAt(update) = new DateTimeOffset(_baseTicks + (((_lap * Frames) + _frameOf[_cursor]) * _frameTicks), TimeSpan.Zero);
        _engine.Observe(update, _contextOf[_cursor], _sink);
        if (++_cursor == _updates.Length)
        {
            _cursor = 0;
            _lap++;
        }
    }

    // The updates are reused lap after lap so the measurement allocates nothing itself; only their
    // event time moves on.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<OccurredAt>k__BackingField")]
    private static extern ref DateTimeOffset OccurredAt(Observation observation);

    private static TrackUpdate Update(int camera, string trackId, string objectClass, double x, double y, double width, double height, Random random) => new()
    {
        SchemaVersion = 1,
        SiteId = "site-bench",
        CameraId = $"cam-{camera}",
        OccurredAt = DateTimeOffset.UnixEpoch,
        TrackId = trackId,
        ObjectClass = objectClass,
        Confidence = 0.9,
        Box = new BoundingBox(
            Math.Clamp(x - (width / 2) + ((random.NextDouble() - 0.5) * 0.006), 0, 1 - width),
            Math.Clamp(y - height + ((random.NextDouble() - 0.5) * 0.006), 0, 1 - height),
            width,
            height),
    };

    private static List<Zone> StoreZones(string cameraId) =>
    [
        Zone(cameraId, "shelf-1", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.7),
        Zone(cameraId, "shelf-2", ZoneKind.Shelf, 0.6, 0.5, 0.9, 0.7),
        Zone(cameraId, "checkout", ZoneKind.Checkout, 0.4, 0.85, 0.6, 0.98),
        Zone(cameraId, "exit", ZoneKind.Exit, 0.85, 0.7, 1.0, 1.0),
        Zone(cameraId, "stock-room", ZoneKind.Restricted, 0.0, 0.0, 0.2, 0.2),
        Zone(cameraId, "work-area", ZoneKind.WorkArea, 0.3, 0.3, 0.7, 0.5),
    ];

    private static Zone Zone(string cameraId, string zoneId, ZoneKind kind, double left, double top, double right, double bottom) => new()
    {
        OrgId = "org-bench",
        SiteId = "site-bench",
        CameraId = cameraId,
        ZoneId = zoneId,
        Name = zoneId,
        Kind = kind,
        Polygon = [new(left, top), new(right, top), new(right, bottom), new(left, bottom)],
    };

    private sealed class CountingSink : ISignalSink
    {
        public int Count { get; set; }

        public void Emit(Signal signal) => Count++;
    }
}
