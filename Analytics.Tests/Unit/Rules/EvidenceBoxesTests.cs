using System.Globalization;
using System.Text.Json;
using Analytics.Antitheft;
using Analytics.Antitheft.Rules;
using Analytics.Education;
using Analytics.Education.Rules;
using Analytics.Rules;
using Analytics.Safety;
using Analytics.Safety.Rules;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Rules;

/// <summary>
/// Every signal of a track rule carries the boxes of its tracks, taken from the observations the
/// rule was fed: each track's last box when the signal was raised and, room permitting, the box
/// that began the behaviour; at most <see cref="Evidence.MaxBoxes"/>. The expectations are worked
/// out from each test's own input, and replays (other deliveries, restarts from a checkpoint) give
/// the same boxes.
/// </summary>
public sealed class EvidenceBoxesTests
{
    [Fact]
    public void A_loitering_signal_shows_where_the_dwell_began_and_where_it_reached_the_threshold()
    {
        var scene = new Scene();
        scene.Zone("shelf-1", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.9);
        var updates = new List<TrackUpdate>();
        for (var second = 0; second <= 70; second++)
        {
            // Drifts right by a thousandth a second, feet at (0.24 + 0.001 s, 0.7): inside the shelf zone.
            updates.Add(Update(scene, "stayer", second, new BoundingBox(0.2 + (second * 0.001), 0.45, 0.08, 0.25)));
            // Stands outside every zone.
            updates.Add(Update(scene, "bystander", second + 0.5, new BoundingBox(0.6, 0.1, 0.08, 0.25)));
        }

        var signal = Assert.Single(scene.Run(new LoiteringRule(new AntitheftSettings { LoiteringSeconds = 60 }), updates));

        // The dwell starts with the stayer's first update in the zone; the signal comes with its
        // first update 60 s later.
        var stayer = updates.Where(u => u.TrackId == "stayer").ToList();
        var entered = stayer[0];
        var reached = stayer.First(u => u.OccurredAt - entered.OccurredAt >= TimeSpan.FromSeconds(60));
        Assert.Equal(entered.OccurredAt, signal.StartedAt);
        AssertBoxes([entered, reached], signal);
        Assert.Equal(new BoundingBox(0.2, 0.45, 0.08, 0.25), signal.Evidence.Boxes![0].Box);
        Assert.Equal(new BoundingBox(0.26, 0.45, 0.08, 0.25), signal.Evidence.Boxes![1].Box);
        Assert.Equal(scene.At(60), signal.Evidence.Boxes[1].At);
    }

    [Fact]
    public void An_intrusion_that_began_after_the_presence_shows_only_the_last_box()
    {
        var scene = new Scene(start: new DateTimeOffset(2025, 3, 3, 18, 59, 50, TimeSpan.Zero));
        // In use until 20:00 in Berlin, 19:00 UTC: the worker is inside before, an intruder after.
        scene.Zone("stock-room", ZoneKind.Restricted, 0.6, 0.1, 0.9, 0.4, new ActiveHours
        {
            TimeZone = "Europe/Berlin",
            Start = new TimeOnly(8, 0),
            End = new TimeOnly(20, 0),
            Days = [Weekday.Monday, Weekday.Tuesday, Weekday.Wednesday, Weekday.Thursday, Weekday.Friday],
        });
        var updates = Enumerable.Range(0, 41).Select(i => Update(scene, "worker", 0.25 + (i * 0.5), new BoundingBox(0.7, 0.05 + (i * 0.001), 0.08, 0.25))).ToList();

        var signal = Assert.Single(scene.Run(new IntrusionRule(new AntitheftSettings()), updates));

        // The first update out of hours, at 10.25 s, is where the intrusion starts and is signalled;
        // the presence began in hours, so its first box is not the intrusion's.
        var outOfHours = updates.First(u => u.OccurredAt >= scene.At(10));
        Assert.Equal(scene.At(10.25), outOfHours.OccurredAt);
        Assert.Equal(outOfHours.OccurredAt, signal.StartedAt);
        AssertBoxes([outOfHours], signal);
    }

    [Fact]
    public void A_missing_ppe_signal_shows_the_first_flagged_box_and_the_one_that_confirmed_it()
    {
        var scene = Plant();
        var updates = new List<TrackUpdate>();
        for (var i = 0; i <= 50; i++)
        {
            var second = i * 0.5;
            // Feet at (0.24 + drift, 0.8): in the assembly work area; without a helmet from 5 s on.
            var box = new BoundingBox(0.2 + (i * 0.002), 0.55, 0.08, 0.25);
            updates.Add(Update(scene, "bare-head", second, box, attributes: second >= 5 ? ["no_helmet"] : []));
            updates.Add(Update(scene, "helmeted", second + 0.25, new BoundingBox(0.3, 0.6, 0.08, 0.25)));
        }

        var settings = new SafetySettings { MissingPpeSeconds = 10 };
        var signal = Assert.Single(scene.Run(new MissingPpeRule(settings), updates));

        var flagged = updates.Where(u => u.TrackId == "bare-head" && u.Attributes.Count > 0).ToList();
        var confirmed = flagged.First(u => u.OccurredAt - flagged[0].OccurredAt >= TimeSpan.FromSeconds(settings.MissingPpeSeconds));
        Assert.Equal(["bare-head"], signal.TrackIds);
        AssertBoxes([flagged[0], confirmed], signal);
        Assert.Equal(scene.At(5), signal.Evidence.Boxes![0].At);
        Assert.Equal(scene.At(15), signal.Evidence.Boxes[1].At);
        Assert.Equal(new BoundingBox(0.22, 0.55, 0.08, 0.25), signal.Evidence.Boxes[0].Box);
    }

    [Fact]
    public void A_fall_signal_shows_the_first_lying_box_and_the_one_that_confirmed_it()
    {
        var scene = Plant();
        var updates = new List<TrackUpdate>();
        for (var i = 0; i <= 24; i++)
        {
            var second = i * 0.5;
            // Upright for 4 s, then lying: wide and low.
            updates.Add(Update(scene, "faller", second, second < 4.5
                ? new BoundingBox(0.3, 0.5, 0.08, 0.25)
                : new BoundingBox(0.26 + (i * 0.001), 0.66, 0.22, 0.09)));
        }

        var settings = new SafetySettings();
        var signal = Assert.Single(scene.Run(new FallRule(settings), updates));

        var lying = updates.Where(u => u.Box.Width > u.Box.Height).ToList();
        var confirmed = lying.First(u => u.OccurredAt - lying[0].OccurredAt >= TimeSpan.FromSeconds(settings.FallSeconds));
        AssertBoxes([lying[0], confirmed], signal);
        Assert.Equal(scene.At(4.5), signal.Evidence.Boxes![0].At);
        Assert.Equal(scene.At(7.5), signal.Evidence.Boxes[1].At);
    }

    [Fact]
    public void A_crowding_signal_shows_every_persons_last_box_and_the_entry_of_who_joined_the_crowd()
    {
        var scene = Plant();
        var settings = new SafetySettings { CrowdingCount = 4, CrowdingSeconds = 10 };
        var updates = new List<TrackUpdate>();
        // Four people enter the aisle at 0, 1.05, 2.1 and 3.15 s, a fifth at 8.2 s, after the crowd
        // formed; each is seen every 0.5 s, at instants no one else is seen.
        double[] entries = [0, 1.05, 2.1, 3.15, 8.2];
        for (var person = 0; person < entries.Length; person++)
        {
            for (var k = 0; entries[person] + (k * 0.5) <= 30; k++)
            {
                var box = new BoundingBox(0.62 + (person * 0.06), 0.5 + (k * 0.001), 0.04, 0.25);
                updates.Add(Update(scene, $"worker-{person}", entries[person] + (k * 0.5), box));
            }
        }
        updates = [.. updates.OrderBy(u => u.OccurredAt)];

        var signal = Assert.Single(scene.Run(new CrowdingRule(settings), updates));

        // Worked out from the input: a person counts once present for the minimum presence; the
        // crowd starts when the fourth counts and is signalled by the first update 10 s later.
        var minimum = TimeSpan.FromSeconds(settings.MinPresenceSeconds);
        var byTrack = updates.GroupBy(u => u.TrackId).ToDictionary(g => g.Key, g => g.ToList());
        var counted = byTrack.Values.Select(list => list.First(u => u.OccurredAt - list[0].OccurredAt >= minimum).OccurredAt).Order().ToList();
        var crowdStart = counted[settings.CrowdingCount - 1];
        var signalled = updates.First(u => u.OccurredAt - crowdStart >= TimeSpan.FromSeconds(settings.CrowdingSeconds));
        var lastBoxes = byTrack.Values
            .Select(list => list.Last(u => u.OccurredAt <= signalled.OccurredAt))
            .OrderByDescending(u => u.OccurredAt).ThenBy(u => u.TrackId, StringComparer.Ordinal)
            .ToList();
        var expected = new List<TrackUpdate>();
        foreach (var last in lastBoxes)
        {
            var first = byTrack[last.TrackId][0];
            if (first.OccurredAt >= crowdStart)
            {
                expected.Add(first);
            }
            expected.Add(last);
        }

        Assert.Equal(crowdStart, signal.StartedAt);
        Assert.Equal(5, signal.TrackIds.Count);
        AssertBoxes(expected, signal);
        // Spelled out: the crowd formed at 5.15 s and was signalled at 15.15 s; only worker-4 came later.
        Assert.Equal(
            ["worker-3@15.15", "worker-2@15.1", "worker-1@15.05", "worker-0@15", "worker-4@8.2", "worker-4@14.7"],
            signal.Evidence.Boxes!.Select(b => $"{b.TrackId}@{(b.At - scene.Start).TotalSeconds.ToString(CultureInfo.InvariantCulture)}"));
    }

    [Fact]
    public void A_crowd_of_twenty_keeps_sixteen_boxes_the_people_seen_last()
    {
        var scene = Plant();
        var settings = new SafetySettings { CrowdingCount = 4, CrowdingSeconds = 10 };
        var updates = new List<TrackUpdate>();
        for (var k = 0; k <= 40; k++)
        {
            for (var person = 0; person < 20; person++)
            {
                // A grid of 5 x 4 people in the aisle, each seen every 0.5 s, 10 ms after the one before.
                var box = new BoundingBox(0.61 + ((person % 5) * 0.06), 0.3 + ((person / 5) * 0.1), 0.04, 0.25);
                updates.Add(Update(scene, $"p-{person:00}", (k * 0.5) + (person * 0.01), box));
            }
        }

        var signal = Assert.Single(scene.Run(new CrowdingRule(settings), updates));

        var byTrack = updates.GroupBy(u => u.TrackId).ToDictionary(g => g.Key, g => g.ToList());
        var crowdStart = byTrack.Values.Select(list => list[0].OccurredAt.AddSeconds(settings.MinPresenceSeconds)).Order().ElementAt(settings.CrowdingCount - 1);
        var signalled = updates.First(u => u.OccurredAt - crowdStart >= TimeSpan.FromSeconds(settings.CrowdingSeconds));
        var seenLast = byTrack.Values
            .Select(list => list.Last(u => u.OccurredAt <= signalled.OccurredAt))
            .OrderByDescending(u => u.OccurredAt).ThenBy(u => u.TrackId, StringComparer.Ordinal)
            .Take(Evidence.MaxBoxes)
            .ToList();

        Assert.Equal(20, signal.TrackIds.Count);
        Assert.Equal(16, Evidence.MaxBoxes);
        // Everyone was there before the crowd formed: no first boxes, the last boxes of the 16 seen last.
        AssertBoxes(seenLast, signal);
        Assert.DoesNotContain(signal.Evidence.Boxes!, b => b.TrackId is "p-04" or "p-05" or "p-06" or "p-07");
        Assert.Empty(ContractValidator.Validate(signal, signal.EndedAt));
    }

    [Fact]
    public void The_cap_keeps_last_boxes_first_then_first_boxes_in_the_rules_order()
    {
        var start = new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero).UtcTicks;
        var second = TimeSpan.TicksPerSecond;
        var tracks = Enumerable.Range(0, 10)
            .Select(i => new TrackEvidence($"t-{i}", "person", new BoundingBox(0.1, 0.1, 0.1, 0.1), start + (20 * second), new BoundingBox(0.5, 0.5, 0.1, 0.1), start + (i * second)))
            .ToList();

        var boxes = Signals.Boxes(tracks, start + (2 * second), start + (20 * second));

        // Ten last boxes, then six first boxes for the first tracks whose first box lies in the
        // stretch: t-0 and t-1 began before it.
        Assert.Equal(Evidence.MaxBoxes, boxes.Count);
        Assert.Equal(10, boxes.Count(b => b.At.UtcTicks == start + (20 * second)));
        Assert.Equal(["t-2", "t-3", "t-4", "t-5", "t-6", "t-7"], boxes.Where(b => b.At.UtcTicks != start + (20 * second)).Select(b => b.TrackId));
        Assert.Equal(
            ["t-0", "t-1", "t-2", "t-2", "t-3", "t-3", "t-4", "t-4", "t-5", "t-5", "t-6", "t-6", "t-7", "t-7", "t-8", "t-9"],
            boxes.Select(b => b.TrackId));

        // Twenty tracks: the last boxes of the first sixteen, in the rules' order, and no first box.
        var many = Enumerable.Range(0, 20).Select(i => tracks[9] with { TrackId = $"u-{i:00}" }).ToList();
        Assert.Equal(many.Take(16).Select(t => t.TrackId), Signals.Boxes(many, start, start + (20 * second)).Select(b => b.TrackId));
        Assert.All(Signals.Boxes(many, start, start + (20 * second)), b => Assert.Equal(start + (20 * second), b.At.UtcTicks));
    }

    [Fact]
    public void A_product_removal_shows_the_carrier_and_the_product_where_the_input_had_them()
    {
        var scene = Store();
        scene.Person("shopper", 0.05, 0.95).Walk(0.27, 0.8, 5).Stay(10).Walk(0.9, 0.8, 15).Stay(3);
        // Vanishes on the shelf at 12 s while the shopper stands beside it.
        scene.Product("product-1", 0.25, 0.6).Stay(12).Hide(30);
        var updates = scene.Observations().Cast<TrackUpdate>().ToList();

        var signal = Assert.Single(scene.Run(new ProductRemovalRule(new AntitheftSettings()), updates));

        // The shopper's last box is its first update with the feet in the exit zone; the product's
        // is its last update of all; the shopper's first box, where it stood when the product left
        // with it, is one of its updates within the stretch.
        var atExit = updates.First(u => u.TrackId == "shopper" && u.Box.X + (u.Box.Width / 2) >= 0.8 && u.Box.Y + u.Box.Height >= 0.6);
        var productLast = updates.Last(u => u.TrackId == "product-1");
        var boxes = signal.Evidence.Boxes!;
        Assert.Equal(["shopper", "shopper", "product-1"], boxes.Select(b => b.TrackId));
        AssertBox(atExit, boxes[1]);
        AssertBox(productLast, boxes[2]);
        Assert.Equal("product", boxes[2].ObjectClass);
        AssertFromInput(signal, updates);
        Assert.InRange(boxes[0].At, signal.StartedAt, boxes[1].At.AddTicks(-1));
    }

    [Fact]
    public void Education_signals_carry_no_boxes()
    {
        var scene = new Scene();
        scene.Zone("room-101", ZoneKind.Classroom, 0.0, 0.0, 1.0, 1.0);
        var samples = new List<Observation>();
        for (var second = 0; second < 180; second += 2)
        {
            for (var subject = 0; subject < 6; subject++)
            {
                samples.Add(new AffectTelemetry
                {
                    SchemaVersion = 1,
                    SiteId = Scene.SiteId,
                    CameraId = Scene.CameraId,
                    OccurredAt = scene.At(second + (subject * 0.1)),
                    ZoneId = "room-101",
                    SubjectKey = $"p_{subject}",
                    Engagement = 0.05,
                    Valence = -0.8,
                    Arousal = 0.9,
                    Confidence = 0.9,
                });
            }
        }

        var signals = scene.Run(EducationRules.Create(new EducationSettings()), samples);

        Assert.NotEmpty(signals);
        Assert.All(signals, s => Assert.Null(s.Evidence.Boxes));
        Assert.All(signals, s => Assert.DoesNotContain("boxes", JsonSerializer.Serialize(s, AnalyticsJsonContext.Default.Signal), StringComparison.Ordinal));
    }

    [Fact]
    public void Every_box_of_every_signal_of_a_busy_scene_is_an_input_box_of_a_track_of_the_signal()
    {
        var scene = Busy();
        var updates = scene.Observations().Cast<TrackUpdate>().ToList();

        var signals = RunAll(scene, updates);

        Assert.Equal(
            ["crowding", "fall", "loitering", "missing_ppe", "product_removal", "running"],
            signals.Select(s => s.Kind).Distinct().Order(StringComparer.Ordinal));
        foreach (var signal in signals)
        {
            Assert.NotNull(signal.Evidence.Boxes);
            Assert.InRange(signal.Evidence.Boxes.Count, 1, Evidence.MaxBoxes);
            AssertFromInput(signal, updates);
            // Each track's last box is there, and one box per track at most begins the behaviour.
            foreach (var group in signal.Evidence.Boxes.GroupBy(b => b.TrackId))
            {
                Assert.InRange(group.Count(), 1, 2);
            }
            Assert.Empty(ContractValidator.Validate(signal, signal.EndedAt));
        }
    }

    [Fact]
    public void A_restart_from_any_checkpoint_gives_the_same_signals_boxes_included()
    {
        var scene = Busy();
        var updates = scene.Observations();
        var full = RunAll(scene, updates);
        Assert.NotEmpty(full);
        var fullById = full.ToDictionary(s => s.Id, Json, StringComparer.Ordinal);
        var restartsWithOpenState = 0;
        var signalsEmittedTwice = 0;

        for (var checkpointSecond = 3.0; checkpointSecond < 110; checkpointSecond += 6.5)
        {
            // Crash at the checkpoint: what was signalled before it is stored; a fresh engine
            // replays the log from the camera's oldest open state.
            var checkpoint = scene.At(checkpointSecond);
            var before = updates.Where(o => o.OccurredAt < checkpoint).ToList();
            var (crashed, crashedSignals) = Feed(scene, before, heartbeat: false);
            var since = crashed
                .Select(engine => engine.OpenStateSince().TryGetValue((Scene.OrgId, Scene.CameraId), out var open) ? open : checkpoint)
                .Min();
            restartsWithOpenState += since < checkpoint ? 1 : 0;
            var (_, replayed) = Feed(scene, updates.Where(o => o.OccurredAt >= since).ToList(), heartbeat: true);

            var stored = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var signal in crashedSignals.Concat(replayed))
            {
                var json = Json(signal);
                // A signal emitted again by the replay is the same document, so storing it once is right.
                Assert.True(!stored.TryGetValue(signal.Id, out var known) || known == json, $"at {checkpointSecond} s, {signal.Kind} {signal.Id} was replayed with other content:\n{known}\n{json}");
                signalsEmittedTwice += known is null ? 0 : 1;
                stored[signal.Id] = json;
            }

            Assert.Equal(fullById.OrderBy(p => p.Key, StringComparer.Ordinal), stored.OrderBy(p => p.Key, StringComparer.Ordinal));
        }

        // The checkpoints fall inside open behaviours, and replays emit signals stored before the crash again.
        Assert.True(restartsWithOpenState >= 10, $"only {restartsWithOpenState} restarts had open state");
        Assert.True(signalsEmittedTwice >= 3, $"only {signalsEmittedTwice} signals were emitted again by a replay");
    }

    [Fact]
    public void Delivered_in_other_batches_or_interleaved_with_another_camera_the_signals_are_the_same_documents()
    {
        var scene = Busy();
        var updates = scene.Observations();
        var expected = RunAll(scene, updates).Select(Json).Order(StringComparer.Ordinal).ToList();

        // Another camera's stream, an hour ahead, is cut into batches that interleave with this
        // camera's at random; this camera's own order stays as it was.
        var other = new RuleContext(Scene.OrgId, "cam-other", []);
        var random = new Random(5);
        var engines = Engines();
        var sink = new SignalBuffer();
        var context = scene.Context();
        var cursor = 0;
        var otherSecond = 3600.0;
        while (cursor < updates.Count)
        {
            for (var size = random.Next(1, 300); size > 0 && cursor < updates.Count; size--, cursor++)
            {
                foreach (var engine in engines)
                {
                    engine.Observe(updates[cursor], context, sink);
                }
            }
            for (var size = random.Next(1, 50); size > 0; size--, otherSecond += 0.1)
            {
                var update = Update(scene, "elsewhere", otherSecond, new BoundingBox(0.5, 0.5, 0.1, 0.3)) with { CameraId = "cam-other" };
                foreach (var engine in engines)
                {
                    engine.Observe(update, other, sink);
                }
            }
        }
        foreach (var engine in engines)
        {
            engine.Heartbeat(context, updates.Max(u => u.OccurredAt).AddHours(2), sink);
        }

        Assert.Equal(expected, sink.Signals.Where(s => s.CameraId == Scene.CameraId).Select(Json).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_track_seen_out_of_order_shows_its_newest_box()
    {
        var scene = Plant();
        var settings = new SafetySettings { CrowdingCount = 4, CrowdingSeconds = 10 };
        var updates = new List<TrackUpdate>();
        double[] entries = [0, 1.05, 2.1, 3.15];
        for (var person = 0; person < entries.Length; person++)
        {
            for (var k = 0; entries[person] + (k * 0.5) <= 30; k++)
            {
                updates.Add(Update(scene, $"worker-{person}", entries[person] + (k * 0.5), new BoundingBox(0.62 + (person * 0.06), 0.5 + (k * 0.001), 0.04, 0.25)));
            }
        }
        updates = [.. updates.OrderBy(u => u.OccurredAt)];
        // worker-0's update of 15 s arrives before its update of 14.5 s, within the allowed lateness.
        var newer = updates.FindIndex(u => u.TrackId == "worker-0" && u.OccurredAt == scene.At(15));
        var older = updates.FindIndex(u => u.TrackId == "worker-0" && u.OccurredAt == scene.At(14.5));
        (updates[newer], updates[older]) = (updates[older], updates[newer]);

        var signal = Assert.Single(scene.Run(new CrowdingRule(settings), updates));

        // The crowd formed at 5.15 s (worker-3 counted) and was signalled at 15.15 s; worker-0's
        // last box is the one of 15 s, though the one of 14.5 s was fed after it.
        Assert.Equal(scene.At(15.15), signal.EndedAt);
        var worker0 = Assert.Single(signal.Evidence.Boxes!, b => b.TrackId == "worker-0");
        AssertBox(updates.Single(u => u.TrackId == "worker-0" && u.OccurredAt == scene.At(15)), worker0);
    }

    private static Scene Plant()
    {
        var scene = new Scene(11);
        scene.Zone("assembly", ZoneKind.WorkArea, 0.1, 0.4, 0.5, 0.95);
        scene.Zone("aisle", ZoneKind.Exit, 0.6, 0.4, 0.95, 0.95);
        return scene;
    }

    private static Scene Store()
    {
        var scene = new Scene();
        scene.Zone("shelf-1", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.9);
        scene.Zone("checkout-1", ZoneKind.Checkout, 0.45, 0.85, 0.65, 0.98);
        scene.Zone("exit-1", ZoneKind.Exit, 0.8, 0.6, 1.0, 1.0);
        return scene;
    }

    /// <summary>One camera with a behaviour of every track rule, some of them open across many checkpoints.</summary>
    private static Scene Busy()
    {
        var scene = new Scene(23);
        scene.Zone("shelf-1", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.9);
        scene.Zone("checkout-1", ZoneKind.Checkout, 0.45, 0.85, 0.65, 0.98);
        scene.Zone("exit-1", ZoneKind.Exit, 0.8, 0.6, 1.0, 1.0);
        scene.Zone("assembly", ZoneKind.WorkArea, 0.45, 0.1, 0.75, 0.5);
        scene.Person("stayer", 0.05, 0.7).Walk(0.2, 0.7, 2).Stay(70).Walk(0.05, 0.7, 2);
        var shopper = scene.Person("shopper", 0.05, 0.95, atSecond: 20).Walk(0.27, 0.8, 5).Stay(10).Walk(0.9, 0.8, 6).Stay(3);
        scene.Product("product-1", 0.25, 0.6, atSecond: 20).Stay(15).Carried(shopper, 0.03, -0.12, 38).Hide(10);
        scene.Person("bare-head", 0.5, 0.3, atSecond: 10).With("no_helmet").Stay(20).With().Stay(5);
        scene.Person("faller", 0.6, 0.45, atSecond: 40).Walk(0.65, 0.45, 4).Lie(10).Walk(0.7, 0.45, 3);
        scene.Person("sprinter", 0.02, 0.98, atSecond: 60).Walk(0.98, 0.3, 2).Stay(2);
        for (var i = 0; i < 5; i++)
        {
            scene.Person($"crowd-{i}", 0.48 + (i * 0.05), 0.2, atSecond: 70 + i).Stay(30 - i);
        }

        return scene;
    }

    private static RuleEngine[] Engines() =>
    [
        new RuleEngine(AntitheftRules.Create(new AntitheftSettings { LoiteringSeconds = 60 }), Scene.Lateness),
        new RuleEngine(SafetyRules.Create(new SafetySettings { CrowdingCount = 4, CrowdingSeconds = 10 }), Scene.Lateness),
    ];

    private static List<Signal> RunAll(Scene scene, IReadOnlyList<Observation> observations) => Feed(scene, observations, heartbeat: true).Signals;

    private static (RuleEngine[] Engines, List<Signal> Signals) Feed(Scene scene, IReadOnlyList<Observation> observations, bool heartbeat)
    {
        var engines = Engines();
        var context = scene.Context();
        var sink = new SignalBuffer();
        foreach (var observation in observations)
        {
            foreach (var engine in engines)
            {
                engine.Observe(observation, context, sink);
            }
        }

        if (heartbeat && observations.Count > 0)
        {
            foreach (var engine in engines)
            {
                engine.Heartbeat(context, observations.Max(o => o.OccurredAt).AddHours(2), sink);
            }
        }

        return (engines, [.. sink.Signals]);
    }

    private static string Json(Signal signal) => JsonSerializer.Serialize(signal, AnalyticsJsonContext.Default.Signal);

    private static TrackUpdate Update(Scene scene, string trackId, double second, BoundingBox box, string objectClass = "person", string[]? attributes = null) => new()
    {
        SchemaVersion = 1,
        SiteId = Scene.SiteId,
        CameraId = Scene.CameraId,
        OccurredAt = scene.At(second),
        TrackId = trackId,
        ObjectClass = objectClass,
        Confidence = 0.9,
        Box = box,
        Attributes = attributes ?? [],
    };

    /// <summary>The signal's boxes are exactly these updates' boxes, in this order.</summary>
    private static void AssertBoxes(List<TrackUpdate> expected, Signal signal)
    {
        var boxes = signal.Evidence.Boxes;
        Assert.NotNull(boxes);
        Assert.Equal(
            expected.Select(u => $"{u.TrackId}@{u.OccurredAt:O}"),
            boxes.Select(b => $"{b.TrackId}@{b.At:O}"));
        for (var i = 0; i < expected.Count; i++)
        {
            AssertBox(expected[i], boxes[i]);
        }
    }

    private static void AssertBox(TrackUpdate expected, EvidenceBox actual)
    {
        Assert.Equal(expected.TrackId, actual.TrackId);
        Assert.Equal(expected.ObjectClass, actual.ObjectClass);
        Assert.Equal(expected.OccurredAt, actual.At);
        Assert.Equal(TimeSpan.Zero, actual.At.Offset);
        Assert.Equal(expected.Box, actual.Box);
    }

    /// <summary>Every box is the box of an input update of its track at its time, and its track is one of the signal's.</summary>
    private static void AssertFromInput(Signal signal, IReadOnlyList<TrackUpdate> updates)
    {
        var input = updates.ToLookup(u => (u.TrackId, u.OccurredAt));
        foreach (var box in signal.Evidence.Boxes!)
        {
            Assert.Contains(box.TrackId, signal.TrackIds);
            Assert.Contains(input[(box.TrackId, box.At)], u => u.Box == box.Box && u.ObjectClass == box.ObjectClass);
        }
    }
}
