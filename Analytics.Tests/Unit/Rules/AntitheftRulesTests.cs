using Analytics.Antitheft;
using Analytics.Antitheft.Rules;
using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Rules;

public sealed class AntitheftRulesTests
{
    // Defaults except a shorter loitering threshold, so scenes stay short.
    private static readonly AntitheftSettings _settings = new() { LoiteringSeconds = 60 };

    private static Scene Store(int seed = 7, DateTimeOffset? start = null)
    {
        var scene = new Scene(seed, start: start);
        scene.Zone("shelf-1", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.9);
        scene.Zone("checkout-1", ZoneKind.Checkout, 0.45, 0.85, 0.65, 0.98);
        scene.Zone("exit-1", ZoneKind.Exit, 0.8, 0.6, 1.0, 1.0);
        return scene;
    }

    [Fact]
    public void A_person_who_stays_at_a_shelf_loiters_once_and_one_passing_through_does_not()
    {
        var scene = Store();
        // Enters the shelf zone (x >= 0.1) at 1 s and stays 90 s.
        scene.Person("stayer", 0.05, 0.7).Walk(0.2, 0.7, 2).Stay(90).Walk(0.05, 0.7, 2);
        // Crosses the shelf zone in about 4 s.
        scene.Person("passer", 0.05, 0.6, atSecond: 10).Walk(0.6, 0.6, 7);
        scene.Expect(RuleCatalog.Loitering.Name, "stayer", startSecond: 1);

        scene.AssertExactly(scene.Run(new LoiteringRule(_settings)));
    }

    [Fact]
    public void Another_cameras_clock_leaves_an_open_dwell_alone()
    {
        var scene = Store();
        scene.Person("stayer", 0.05, 0.7).Walk(0.2, 0.7, 2).Stay(90).Walk(0.05, 0.7, 2);
        var observations = scene.Observations();
        var firstHalf = observations.Where(o => o.OccurredAt < scene.At(40)).ToList();
        var engine = new RuleEngine(new LoiteringRule(_settings), Scene.Lateness);
        var sink = new SignalBuffer();
        foreach (var observation in firstHalf)
        {
            engine.Observe(observation, scene.Context(), sink);
        }

        // A neighbouring camera of the same organization and site runs an hour ahead (its clock,
        // or a backlog of this one's); its heartbeat must not close this camera's dwell.
        var neighbour = new RuleContext(Scene.OrgId, "cam-neighbour", []);
        engine.Heartbeat(neighbour, scene.At(3600), sink);
        Assert.Equal(scene.At(1).UtcTicks, engine.OpenStateSince()[(Scene.OrgId, Scene.CameraId)].UtcTicks, 1.5 * TimeSpan.TicksPerSecond);
        foreach (var observation in observations.Skip(firstHalf.Count))
        {
            engine.Observe(observation, scene.Context(), sink);
        }
        engine.Heartbeat(scene.Context(), scene.At(3600), sink);

        Assert.Single(sink.Signals, s => s.Kind == RuleCatalog.Loitering.Name);
        // The same heartbeat for this camera would have closed the dwell at 40 s, short of the threshold.
        var closedEarly = new RuleEngine(new LoiteringRule(_settings), Scene.Lateness);
        var earlySink = new SignalBuffer();
        foreach (var observation in firstHalf)
        {
            closedEarly.Observe(observation, scene.Context(), earlySink);
        }
        closedEarly.Heartbeat(scene.Context(), scene.At(3600), earlySink);
        Assert.Empty(closedEarly.OpenStateSince());
        Assert.Empty(earlySink.Signals);
    }

    [Fact]
    public void Flicker_shorter_than_the_grace_neither_splits_nor_doubles_a_dwell()
    {
        var scene = Store();
        scene.Person("stayer", 0.05, 0.7).Walk(0.2, 0.7, 2).Stay(25).Hide(3).Stay(20).Hide(4).Stay(30).Walk(0.05, 0.7, 2);
        scene.Expect(RuleCatalog.Loitering.Name, "stayer", startSecond: 1);

        var signals = scene.Run(new LoiteringRule(_settings));

        scene.AssertExactly(signals);
        Assert.True(signals[0].Evidence.Measurements["dwellSeconds"] >= _settings.LoiteringSeconds);
    }

    [Fact]
    public void Flicker_longer_than_the_grace_splits_the_dwell()
    {
        var scene = Store();
        // 40 s, gone 8 s (> 5 s grace), then 70 s: only the second stay is long enough.
        scene.Person("stayer", 0.2, 0.7).Stay(40).Hide(8).Stay(70);
        scene.Expect(RuleCatalog.Loitering.Name, "stayer", startSecond: 48);

        scene.AssertExactly(scene.Run(new LoiteringRule(_settings)));
    }

    [Fact]
    public void Two_long_stays_split_by_a_long_absence_are_two_behaviours()
    {
        var scene = Store();
        scene.Person("stayer", 0.2, 0.7).Stay(65).Hide(10).Stay(65);
        scene.Expect(RuleCatalog.Loitering.Name, "stayer", startSecond: 0);
        scene.Expect(RuleCatalog.Loitering.Name, "stayer", startSecond: 75);

        scene.AssertExactly(scene.Run(new LoiteringRule(_settings)));
    }

    [Fact]
    public void Dwell_in_a_checkout_queue_is_not_loitering()
    {
        var scene = Store();
        scene.Person("queuer", 0.55, 0.92).Stay(120);

        scene.AssertExactly(scene.Run(new LoiteringRule(_settings)));
    }

    [Fact]
    public void Entering_a_restricted_zone_is_an_intrusion_and_a_glimpse_or_passing_by_is_not()
    {
        var scene = Store();
        scene.Zone("stock-room", ZoneKind.Restricted, 0.6, 0.1, 0.9, 0.4);
        // Enters the zone (y <= 0.4) at 2 s and stays 6 s.
        scene.Person("intruder", 0.75, 0.5).Walk(0.75, 0.3, 4).Stay(6).Walk(0.75, 0.5, 4);
        // Steps in for about a second only, under the minimum presence.
        scene.Person("glimpse", 0.65, 0.45, atSecond: 20).Walk(0.65, 0.38, 0.5).Stay(0.8).Walk(0.65, 0.45, 0.5);
        scene.Person("passer", 0.5, 0.5, atSecond: 5).Walk(0.95, 0.5, 6);
        scene.Expect(RuleCatalog.Intrusion.Name, "intruder", startSecond: 2);

        scene.AssertExactly(scene.Run(new IntrusionRule(_settings)));
    }

    [Theory]
    [InlineData(10, false)] // 11:00 in Berlin: the stock room is in use.
    [InlineData(21, true)]  // 22:00 in Berlin: guarded.
    public void A_scheduled_restricted_zone_is_guarded_only_outside_its_active_hours(int utcHour, bool intrusion)
    {
        var scene = Store(start: new DateTimeOffset(2025, 3, 3, utcHour, 0, 0, TimeSpan.Zero));
        scene.Zone("stock-room", ZoneKind.Restricted, 0.6, 0.1, 0.9, 0.4, new ActiveHours
        {
            TimeZone = "Europe/Berlin",
            Start = new TimeOnly(8, 0),
            End = new TimeOnly(20, 0),
            Days = [Weekday.Monday, Weekday.Tuesday, Weekday.Wednesday, Weekday.Thursday, Weekday.Friday],
        });
        scene.Person("worker", 0.75, 0.3).Stay(10);
        if (intrusion)
        {
            scene.Expect(RuleCatalog.Intrusion.Name, "worker", startSecond: 0);
        }

        scene.AssertExactly(scene.Run(new IntrusionRule(_settings)));
    }

    [Fact]
    public void A_product_taken_from_a_shelf_to_the_exit_without_checkout_is_a_removal()
    {
        var scene = Store();
        var shopper = scene.Person("shopper", 0.05, 0.95).Walk(0.27, 0.8, 5).Stay(10).Walk(0.9, 0.8, 6).Stay(3);
        // Picked up at 15 s, visible in hand for 3 s, then slipped into a bag. Off the shelf
        // (x > 0.4) once the shopper's feet pass x = 0.37, at 15 + 6 * 0.10 / 0.63 s.
        scene.Product("product-1", 0.25, 0.6).Stay(15).Carried(shopper, 0.03, -0.12, 18).Hide(10);
        scene.Product("product-2", 0.15, 0.6).Stay(30);
        scene.Person("browser", 0.12, 0.95, atSecond: 2).Walk(0.9, 0.95, 20);
        scene.Expect(RuleCatalog.ProductRemoval.Name, "shopper", startSecond: 15 + (6 * 0.10 / 0.63));

        var signals = scene.Run(new ProductRemovalRule(_settings));

        scene.AssertExactly(signals);
        Assert.Equal(["shopper", "product-1"], signals[0].TrackIds);
        Assert.Equal("exit-1", signals[0].ZoneId);
    }

    [Fact]
    public void A_product_slipped_into_a_bag_at_the_shelf_leaves_with_the_person_beside_it()
    {
        var scene = Store();
        scene.Person("shopper", 0.05, 0.95).Walk(0.27, 0.8, 5).Stay(10).Walk(0.9, 0.8, 15).Stay(3);
        // Vanishes on the shelf at 12 s while the shopper stands beside it.
        scene.Product("product-1", 0.25, 0.6).Stay(12).Hide(30);
        scene.Expect(RuleCatalog.ProductRemoval.Name, "shopper", startSecond: 12);

        scene.AssertExactly(scene.Run(new ProductRemovalRule(_settings)));
    }

    [Fact]
    public void A_product_paid_at_checkout_or_put_back_is_not_a_removal()
    {
        var scene = Store();
        var payer = scene.Person("payer", 0.05, 0.95).Walk(0.27, 0.8, 5).Stay(10).Walk(0.55, 0.9, 4).Stay(5).Walk(0.9, 0.9, 4).Stay(2);
        scene.Product("product-1", 0.25, 0.6).Stay(15).Carried(payer, 0.03, -0.12, 30);
        // Carries product-2 off the shelf at about 12 s, puts it back at 14 s, then leaves.
        var returner = scene.Person("returner", 0.05, 0.62, atSecond: 1).Walk(0.32, 0.62, 4).Stay(6).Walk(0.5, 0.62, 2).Stay(1).Walk(0.9, 0.62, 5).Stay(2);
        scene.Product("product-2", 0.35, 0.55, atSecond: 1).Stay(10).Carried(returner, 0.03, -0.12, 13).Walk(0.35, 0.55, 1).Stay(20);

        scene.AssertExactly(scene.Run(new ProductRemovalRule(_settings)));
    }

    [Fact]
    public void Replaying_a_scene_gives_the_same_signal_ids()
    {
        var scene = Store();
        scene.Person("stayer", 0.2, 0.7).Stay(70);
        var shopper = scene.Person("shopper", 0.05, 0.95).Walk(0.27, 0.8, 5).Stay(10).Walk(0.9, 0.8, 6).Stay(3);
        scene.Product("product-1", 0.25, 0.6).Stay(15).Carried(shopper, 0.03, -0.12, 18).Hide(10);
        var observations = scene.Observations();

        var first = scene.Run(AntitheftRules.Create(_settings), observations);
        var second = scene.Run(AntitheftRules.Create(_settings), observations);

        Assert.Equal(2, first.Count);
        Assert.Equal(first.Select(s => s.Id), second.Select(s => s.Id));
        Assert.Equal(Scene.Json(first), Scene.Json(second));
    }

    [Fact]
    public void A_restarted_rule_rebuilds_open_state_by_replaying_from_open_state_since()
    {
        var scene = Store();
        scene.Person("stayer", 0.2, 0.7).Stay(100);
        scene.Person("late", 0.3, 0.8, atSecond: 30).Stay(80);
        var observations = scene.Observations();
        var full = scene.Run(new LoiteringRule(_settings), observations);

        // Crash at 50 s: both dwells are open, neither has been signalled yet.
        var checkpoint = scene.At(50);
        var before = observations.Where(o => o.OccurredAt < checkpoint).ToList();
        var crashed = new LoiteringRule(_settings);
        var sink = new SignalBuffer();
        var context = scene.Context();
        before.ForEach(o => crashed.Observe(o, context, sink));
        var since = crashed.OpenStateSince()[(Scene.OrgId, Scene.CameraId)];
        Assert.Equal(scene.Start, since);

        var replayed = scene.Run(new LoiteringRule(_settings), observations.Where(o => o.OccurredAt >= since));

        scene.Expect(RuleCatalog.Loitering.Name, "stayer", startSecond: 0);
        scene.Expect(RuleCatalog.Loitering.Name, "late", startSecond: 30);
        scene.AssertExactly(full);
        Assert.Equal(full.Select(s => s.Id), sink.Signals.Concat(replayed).Select(s => s.Id).Distinct());
    }
}
