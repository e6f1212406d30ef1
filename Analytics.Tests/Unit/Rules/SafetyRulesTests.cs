using Analytics.Safety;
using Analytics.Safety.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Rules;

public sealed class SafetyRulesTests
{
    private static readonly SafetySettings _settings = new() { CrowdingCount = 4, CrowdingSeconds = 10 };

    private static Scene Plant(int seed = 11)
    {
        var scene = new Scene(seed);
        scene.Zone("assembly", ZoneKind.WorkArea, 0.1, 0.4, 0.5, 0.95);
        scene.Zone("aisle", ZoneKind.Exit, 0.6, 0.4, 0.95, 0.95);
        return scene;
    }

    [Fact]
    public void A_crowd_that_lasts_is_signalled_once_and_one_that_passes_or_is_too_small_is_not()
    {
        var scene = Plant();
        // Four people gather in the assembly area by 5 s and stay 25 s; one flickers for 2 s.
        for (var i = 0; i < 4; i++)
        {
            var person = scene.Person($"worker-{i}", 0.05, 0.5 + (i * 0.1)).Walk(0.2 + (i * 0.05), 0.5 + (i * 0.1), 3);
            (i == 0 ? person.Stay(10).Hide(2).Stay(13) : person.Stay(25)).Walk(0.05, 0.5 + (i * 0.1), 3);
        }

        // Three people stand in the aisle for a minute: below the crowding count.
        for (var i = 0; i < 3; i++)
        {
            scene.Person($"chatter-{i}", 0.7 + (i * 0.05), 0.7).Stay(60);
        }

        // Four more walk through the aisle together in about 3 s, joining the three there.
        for (var i = 0; i < 4; i++)
        {
            scene.Person($"walker-{i}", 0.55, 0.5 + (i * 0.1), atSecond: 40).Walk(0.99, 0.5 + (i * 0.1), 4);
        }

        scene.Expect(RuleCatalog.Crowding.Name, "assembly");

        var signals = scene.Run(new CrowdingRule(_settings));

        scene.AssertExactly(signals);
        Assert.Equal(4, signals[0].Evidence.Measurements["peopleCount"]);
        Assert.Equal(4, signals[0].TrackIds.Count);
    }

    [Fact]
    public void A_person_who_falls_and_stays_down_is_a_fall_and_bending_or_lying_from_the_start_is_not()
    {
        var scene = Plant();
        scene.Person("faller", 0.2, 0.8).Walk(0.3, 0.8, 4).Lie(10).Walk(0.35, 0.8, 3);
        scene.Person("bender", 0.7, 0.8).Walk(0.8, 0.8, 4).Bend(1).Stay(8).Lie(1.5).Stay(5);
        scene.Person("sleeper", 0.4, 0.6).Lie(30);
        scene.Expect(RuleCatalog.Fall.Name, "faller", startSecond: 4);

        var signals = scene.Run(new FallRule(_settings));

        scene.AssertExactly(signals);
        Assert.True(signals[0].Evidence.Measurements["aspectRatio"] >= _settings.FallAspectRatio);
    }

    [Fact]
    public void The_trackers_fallen_flag_held_long_enough_is_a_fall()
    {
        var scene = Plant();
        scene.Person("flagged", 0.2, 0.8).Stay(3).With("fallen").Stay(5).With().Stay(3);
        scene.Person("blip", 0.7, 0.8).Stay(3).With("fallen").Stay(1).With().Stay(8);
        scene.Expect(RuleCatalog.Fall.Name, "flagged", startSecond: 3);

        scene.AssertExactly(scene.Run(new FallRule(_settings)));
    }

    [Fact]
    public void Missing_protection_in_a_work_area_for_long_enough_is_signalled_once()
    {
        var scene = Plant();
        // Without a helmet in the work area for 20 s; the detector misses the flag for 1 s twice.
        scene.Person("bare-head", 0.2, 0.8).With("no_helmet").Stay(8).With().Stay(1).With("no_helmet").Stay(6).With().Stay(1).With("no_helmet").Stay(4);
        // Without a vest, but outside any work area.
        scene.Person("visitor", 0.8, 0.8).With("no_vest").Stay(30);
        // Without a vest in the work area for 5 s only.
        scene.Person("brief", 0.3, 0.6).With("no_vest").Stay(5).With().Stay(20);
        scene.Expect(RuleCatalog.MissingPpe.Name, "bare-head", startSecond: 0);

        var signals = scene.Run(new MissingPpeRule(_settings));

        scene.AssertExactly(signals);
        Assert.Equal(1, signals[0].Evidence.Measurements["noHelmetShare"]);
        Assert.Equal(0, signals[0].Evidence.Measurements["noVestShare"]);
        Assert.Equal("assembly", signals[0].ZoneId);
    }

    [Fact]
    public void Running_is_signalled_once_and_walking_or_a_jittery_frame_is_not()
    {
        var scene = Plant();
        // Diagonally across the image in 2 s: about 0.59 widths per second.
        scene.Person("sprinter", 0.02, 0.98).Walk(0.98, 0.3, 2).Stay(2);
        // 0.15 widths per second.
        scene.Person("walker", 0.1, 0.5).Walk(0.7, 0.5, 4);
        // Stands still but the tracker puts it 0.08 away for one frame: 0.8 widths per second frame to frame.
        scene.Person("jitter", 0.5, 0.6).Stay(3).Walk(0.58, 0.6, 0).Stay(0.1).Walk(0.5, 0.6, 0).Stay(5);
        scene.Expect(RuleCatalog.Running.Name, "sprinter", startSecond: 0.5);

        var signals = scene.Run(new RunningRule(_settings));

        scene.AssertExactly(signals);
        Assert.True(signals[0].Evidence.Measurements["speed"] > _settings.RunningSpeed);
    }

    [Fact]
    public void Replaying_a_plant_scene_gives_the_same_signal_ids()
    {
        var scene = Plant();
        scene.Person("faller", 0.2, 0.8).Walk(0.3, 0.8, 4).Lie(10);
        scene.Person("bare-head", 0.2, 0.6).With("no_helmet").Stay(15);
        var observations = scene.Observations();

        var first = scene.Run(SafetyRules.Create(_settings), observations);
        var second = scene.Run(SafetyRules.Create(_settings), observations);

        Assert.Equal(2, first.Count);
        Assert.Equal(first.Select(s => s.Id), second.Select(s => s.Id));
    }
}
