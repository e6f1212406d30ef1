using Analytics.Antitheft;
using Analytics.Antitheft.Rules;
using Analytics.Education;
using Analytics.Education.Rules;
using Analytics.Rules;
using Analytics.Safety;
using Analytics.Safety.Rules;
using Analytics.Scenes;
using Analytics.Schemas.Contracts;
using Analytics.Simulator.Scenes;

namespace Analytics.Tests.Rules;

/// <summary>
/// Each camera has its own clock (<see cref="RuleEngine"/>): the same observations give the same
/// signal ids however the cameras' streams are delayed, interleaved or batched, late observations
/// are left out and reported, heartbeats complete a quiet camera's behaviours, and the idle
/// fallback closes a camera and lets its backlog start afresh.
/// </summary>
public sealed class CameraClockTests
{
    private const string OrgId = "org-clocks";
    private static readonly DateTimeOffset Start = new(2025, 3, 3, 10, 0, 7, 250, TimeSpan.Zero);

    /// <summary>One camera's stream: its observations in event-time order, then the edge's heartbeat once the scene is over.</summary>
    private sealed record Entry(int Camera, Observation Observation);

    private static List<SceneScript> Cameras() =>
    [
        SimulatedScenes.Build(SimulatedScenes.Store, OrgId, 1, 0, Start),
        SimulatedScenes.Build(SimulatedScenes.Store, OrgId, 2, 0, Start.AddSeconds(20)),
        SimulatedScenes.Build(SimulatedScenes.Warehouse, OrgId, 1, 0, Start.AddSeconds(5)),
        SimulatedScenes.Build(SimulatedScenes.Classroom, OrgId, 1, 0, Start),
    ];

    private static List<Entry> Stream(SceneScript script, int camera)
    {
        var observations = script.Observations();
        var last = observations.Max(o => o.OccurredAt);
        observations.Add(new CameraHeartbeat { SchemaVersion = 1, SiteId = script.SiteId, CameraId = script.CameraId, OccurredAt = last.AddMinutes(10) });
        return [.. observations.Select(o => new Entry(camera, o))];
    }

    public static TheoryData<string> Deliveries() => ["live", "one camera 60 s behind", "one camera as a backlog after the others", "random batches across cameras"];

    [Theory]
    [MemberData(nameof(Deliveries))]
    public void The_same_observations_give_the_same_signal_ids_however_the_cameras_deliver_them(string delivery)
    {
        var cameras = Cameras();
        var streams = cameras.Select(Stream).ToList();
        var live = Run(cameras, Deliver("live", streams));

        var signals = Run(cameras, Deliver(delivery, streams));

        Assert.Equal(live.Select(s => s.Id).Order(StringComparer.Ordinal), signals.Select(s => s.Id).Order(StringComparer.Ordinal));
        // Not only the ids: the same documents, evidence boxes included.
        Assert.Equal(Scene.Json(live.OrderBy(s => s.Id, StringComparer.Ordinal)), Scene.Json(signals.OrderBy(s => s.Id, StringComparer.Ordinal)));
        Assert.Contains(signals, s => s.Evidence.Boxes is { Count: > 0 });
        var expected = cameras.SelectMany(c => c.Labels.Select(l => $"{c.CameraId}:{l.Kind}:{l.Subject}")).Order(StringComparer.Ordinal).ToList();
        var actual = signals.Select(s => $"{s.CameraId}:{s.Kind}:{Scene.SubjectOf(s)}").Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"expected [{string.Join(", ", expected)}] but got [{string.Join(", ", actual)}]");
    }

    [Fact]
    public void An_observation_older_than_its_cameras_watermark_is_left_out_and_reported_while_a_slightly_older_one_counts()
    {
        var scene = new Scene();
        scene.Zone("shelf-1", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.9);
        var context = scene.Context();
        var engine = new RuleEngine(new LoiteringRule(new AntitheftSettings()), TimeSpan.FromSeconds(2));
        var sink = new SignalBuffer();

        Assert.Equal(Fed.ClockMoved, engine.Observe(Track(scene, 10), context, sink));
        Assert.Equal(Fed.Observed, engine.Observe(Track(scene, 8.5), context, sink));
        Assert.Equal(Fed.Late, engine.Observe(Track(scene, 7.9), context, sink));
        // Another camera's clock is its own: its old observation is not late.
        var other = new RuleContext(Scene.OrgId, "cam-other", []);
        Assert.Equal(Fed.ClockMoved, engine.Observe(Track(scene, 1) with { CameraId = "cam-other" }, other, sink));
        // A heartbeat moves the watermark to its time at once.
        engine.Heartbeat(context, scene.At(30), sink);
        Assert.Equal(Fed.Late, engine.Observe(Track(scene, 29), context, sink));
        Assert.Equal(Fed.Observed, engine.Observe(Track(scene, 30), context, sink));
    }

    [Fact]
    public void Heartbeats_close_the_last_window_of_a_lesson_without_another_observation()
    {
        var scene = SimulatedScenes.Build(SimulatedScenes.Classroom, OrgId, 1, 0, Start);
        var context = new RuleContext(OrgId, scene.CameraId, scene.Zones);
        var engine = new RuleEngine(EducationRules.Create(new EducationSettings()), Scene.Lateness);
        var sink = new SignalBuffer();
        var observations = scene.Observations();
        foreach (var observation in observations)
        {
            engine.Observe(observation, context, sink);
        }

        var last = observations.Max(o => o.OccurredAt);
        var openBefore = engine.OpenStateSince().Count;
        engine.Heartbeat(context, last.AddSeconds(1), sink);
        var afterOneSecond = engine.OpenStateSince().Count;
        // The edge's heartbeats every few seconds while the room is empty.
        for (var second = 5; second <= 65; second += 5)
        {
            engine.Heartbeat(context, last.AddSeconds(second), sink);
        }

        Assert.Equal(1, openBefore);
        Assert.Equal(1, afterOneSecond);
        Assert.Empty(engine.OpenStateSince());
        Assert.Equal(scene.Labels.Select(l => l.Kind), sink.Signals.Select(s => s.Kind));
    }

    [Fact]
    public void The_idle_fallback_ends_open_state_as_of_the_last_observation_and_a_backlog_after_it_starts_afresh()
    {
        var scene = new Scene();
        scene.Zone("shelf-1", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.9);
        // 80 s at the shelf, then the uplink goes down; the edge's buffer holds 80 s more.
        scene.Person("stayer", 0.2, 0.7).Stay(160);
        var observations = scene.Observations();
        var beforeOutage = observations.Where(o => o.OccurredAt < scene.At(80)).ToList();
        var backlog = observations.Skip(beforeOutage.Count).ToList();
        var settings = new AntitheftSettings();
        var context = scene.Context();
        var engine = new RuleEngine(new LoiteringRule(settings), Scene.Lateness);
        var sink = new SignalBuffer();
        beforeOutage.ForEach(o => engine.Observe(o, context, sink));
        Assert.Single(engine.OpenStateSince());

        var lastEventTime = beforeOutage[^1].OccurredAt;
        // A close that knew of less than the log already holds is stale: the camera sent meanwhile.
        Assert.False(engine.CloseIdle(context, lastEventTime.AddSeconds(-1), sink));
        Assert.Single(engine.OpenStateSince());

        Assert.True(engine.CloseIdle(context, lastEventTime, sink));

        Assert.Empty(engine.OpenStateSince());
        Assert.Empty(sink.Signals);
        Assert.False(engine.CloseIdle(context, lastEventTime, sink));
        // The backlog is not late: it starts a new dwell, which is 80 s long, short of the 120 s threshold.
        Assert.All(backlog.Take(3), o => Assert.Equal(Fed.ClockMoved, engine.Observe(o, context, sink)));
        backlog.Skip(3).ToList().ForEach(o => engine.Observe(o, context, sink));
        Assert.Empty(sink.Signals);
        // Without the close in between, the same observations give the live signal.
        Assert.Single(scene.Run(new LoiteringRule(settings), observations));
    }

    [Fact]
    public void A_backlog_older_than_the_idle_close_is_marked_as_arriving_after_it()
    {
        var scene = new Scene();
        var context = scene.Context();
        var engine = new RuleEngine(new LoiteringRule(new AntitheftSettings()), Scene.Lateness);
        var sink = new SignalBuffer();
        engine.Observe(Track(scene, 100), context, sink);
        Assert.True(engine.CloseIdle(context, scene.At(100), sink));

        Assert.Equal(Fed.ClockMoved | Fed.AfterIdleClose, engine.Observe(Track(scene, 40), context, sink));
        Assert.Equal(Fed.ClockMoved, engine.Observe(Track(scene, 101), context, sink));
    }

    /// <summary>The streams as the log would hold them after the given delivery.</summary>
    private static List<Entry> Deliver(string delivery, List<List<Entry>> streams) => delivery switch
    {
        "live" => [.. streams.SelectMany(s => s).OrderBy(e => e.Observation.OccurredAt).ThenBy(e => e.Camera)],
        // The camera's uplink lags a minute: its entries arrive 60 s after they were made.
        "one camera 60 s behind" => [.. streams.SelectMany(s => s).OrderBy(e => e.Observation.OccurredAt.AddSeconds(e.Camera == 0 ? 60 : 0)).ThenBy(e => e.Camera)],
        "one camera as a backlog after the others" => [.. streams.Skip(1).SelectMany(s => s).OrderBy(e => e.Observation.OccurredAt).ThenBy(e => e.Camera), .. streams[0]],
        "random batches across cameras" => RandomBatches(streams, new Random(11)),
        _ => throw new ArgumentOutOfRangeException(nameof(delivery)),
    };

    // Each camera's stream cut into batches of 1 to 400 entries; the batches of all cameras
    // interleaved at random, each camera's in its own order.
    private static List<Entry> RandomBatches(List<List<Entry>> streams, Random random)
    {
        var queues = streams.Select(s => new Queue<Entry>(s)).ToList();
        var log = new List<Entry>();
        while (queues.Any(q => q.Count > 0))
        {
            var queue = queues.Where(q => q.Count > 0).ElementAt(random.Next(queues.Count(q => q.Count > 0)));
            for (var size = random.Next(1, 401); size > 0 && queue.Count > 0; size--)
            {
                log.Add(queue.Dequeue());
            }
        }

        return log;
    }

    /// <summary>The log through every service's rules, each with its own engine, as the three rule services read it.</summary>
    private static List<Signal> Run(List<SceneScript> cameras, List<Entry> log)
    {
        var catalog = new ZoneCatalog(cameras.SelectMany(c => c.Zones));
        var engines = new[]
        {
            new RuleEngine(AntitheftRules.Create(new AntitheftSettings()), Scene.Lateness),
            new RuleEngine(SafetyRules.Create(new SafetySettings()), Scene.Lateness),
            new RuleEngine(EducationRules.Create(new EducationSettings()), Scene.Lateness),
        };
        var sink = new SignalBuffer();
        foreach (var (_, observation) in log)
        {
            var context = catalog.For(OrgId, observation.CameraId);
            foreach (var engine in engines)
            {
                var fed = observation is CameraHeartbeat
                    ? engine.Heartbeat(context, observation.OccurredAt, sink)
                    : engine.ObservationTypes.Contains(EventTypes.Of(observation))
                        ? engine.Observe(observation, context, sink)
                        : engine.Pass(context, observation.OccurredAt, sink);
                Assert.False(fed.HasFlag(Fed.Late), $"{observation.CameraId} at {observation.OccurredAt:O} was late");
            }
        }

        Assert.All(engines, engine => Assert.Empty(engine.OpenStateSince()));
        return [.. sink.Signals];
    }

    private static TrackUpdate Track(Scene scene, double second) => new()
    {
        SchemaVersion = 1,
        SiteId = Scene.SiteId,
        CameraId = Scene.CameraId,
        OccurredAt = scene.At(second),
        TrackId = "t-1",
        ObjectClass = "person",
        Confidence = 0.9,
        Box = new BoundingBox(0.2, 0.4, 0.1, 0.3),
    };
}
