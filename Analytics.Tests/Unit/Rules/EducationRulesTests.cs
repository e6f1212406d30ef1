using Analytics.Education;
using Analytics.Education.Rules;
using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Rules;

public sealed class EducationRulesTests
{
    // Defaults: 60 s windows, groups of at least 5, distress from 3 subjects below -0.5 for 30 s.
    private static readonly EducationSettings _settings = new();

    /// <summary>A classroom camera whose subjects report affect once per second with a little noise.</summary>
    private sealed class Classroom
    {
        private readonly Random _random = new(3);
        private readonly List<Observation> _samples = [];

        public Classroom()
        {
            Scene.Zone("room-101", ZoneKind.Classroom, 0, 0, 1, 1);
        }

        public Scene Scene { get; } = new(start: new DateTimeOffset(2025, 3, 3, 9, 0, 0, TimeSpan.Zero));

        public List<string> SubjectKeys { get; } = [];

        public IReadOnlyList<Observation> Samples => _samples;

        /// <summary>One subject from <paramref name="fromSecond"/> for <paramref name="seconds"/>; valence is distressed between the given seconds.</summary>
        public void Subject(double engagement, double fromSecond = 0, double seconds = 60, double valence = 0.2, double distressFrom = -1, double distressUntil = -1)
        {
            var key = $"slot-{Guid.NewGuid():N}";
            SubjectKeys.Add(key);
            for (var second = fromSecond; second < fromSecond + seconds; second++)
            {
                var distressed = second >= distressFrom && second < distressUntil;
                _samples.Add(new AffectTelemetry
                {
                    SchemaVersion = 1,
                    SiteId = Scene.SiteId,
                    CameraId = Scene.CameraId,
                    OccurredAt = Scene.At(second + 0.3),
                    ZoneId = "room-101",
                    SubjectKey = key,
                    Engagement = Math.Clamp(engagement + ((_random.NextDouble() - 0.5) * 0.1), 0, 1),
                    Valence = distressed ? -0.75 + ((_random.NextDouble() - 0.5) * 0.1) : valence,
                    Arousal = 0.5,
                    Confidence = 0.8,
                });
            }
        }

        public IReadOnlyList<Signal> Run() => Scene.Run(new ClassroomRule(_settings), _samples.OrderBy(s => s.OccurredAt));
    }

    [Fact]
    public void A_disengaged_class_is_low_engagement_for_its_window_and_an_engaged_one_is_not()
    {
        var room = new Classroom();
        // Window 0-60 s: six subjects at 0.2; window 60-120 s: the same number at 0.7.
        for (var i = 0; i < 6; i++)
        {
            room.Subject(0.2);
            room.Subject(0.7, fromSecond: 60);
        }

        room.Scene.Expect(RuleCatalog.LowEngagement.Name, "room-101", startSecond: 0);

        var signals = room.Run();

        room.Scene.AssertExactly(signals, startToleranceSeconds: 0);
        Assert.Equal(6, signals[0].Evidence.Measurements["subjectCount"]);
        Assert.Empty(signals[0].TrackIds);
    }

    [Fact]
    public void Distress_needs_enough_subjects_for_long_enough()
    {
        var room = new Classroom();
        // Window 0-60 s: three of seven distressed for 40 s.
        for (var i = 0; i < 7; i++)
        {
            room.Subject(0.6, distressFrom: i < 3 ? 10 : -1, distressUntil: i < 3 ? 50 : -1);
        }

        // Window 60-120 s: two of seven distressed for 50 s.
        for (var i = 0; i < 7; i++)
        {
            room.Subject(0.6, fromSecond: 60, distressFrom: i < 2 ? 65 : -1, distressUntil: i < 2 ? 115 : -1);
        }

        // Window 120-180 s: four of seven distressed, but for 20 s only.
        for (var i = 0; i < 7; i++)
        {
            room.Subject(0.6, fromSecond: 120, distressFrom: i < 4 ? 130 : -1, distressUntil: i < 4 ? 150 : -1);
        }

        room.Scene.Expect(RuleCatalog.Distress.Name, "room-101", startSecond: 0);

        var signals = room.Run();

        room.Scene.AssertExactly(signals, startToleranceSeconds: 0);
        Assert.Equal(3, signals[0].Evidence.Measurements["distressedSubjects"]);
    }

    [Fact]
    public void A_group_below_the_minimum_size_yields_nothing_and_no_subject_key_leaves_the_rule()
    {
        var room = new Classroom();
        // Window 0-60 s: four subjects, disengaged and all distressed: below the privacy floor of five.
        for (var i = 0; i < 4; i++)
        {
            room.Subject(0.1, distressFrom: 0, distressUntil: 60);
        }

        // Window 60-120 s: five subjects, disengaged: reported, but only as a group.
        for (var i = 0; i < 5; i++)
        {
            room.Subject(0.1, fromSecond: 60);
        }

        room.Scene.Expect(RuleCatalog.LowEngagement.Name, "room-101", startSecond: 60);

        var rule = new ClassroomRule(_settings);
        var signals = room.Scene.Run(rule, room.Samples.OrderBy(s => s.OccurredAt));

        room.Scene.AssertExactly(signals, startToleranceSeconds: 0);
        var json = Scene.Json(signals);
        Assert.All(room.SubjectKeys, key => Assert.DoesNotContain(key, json, StringComparison.Ordinal));
        Assert.All(signals, signal => Assert.Empty(signal.TrackIds));
        Assert.Empty(rule.OpenStateSince());
    }

    [Fact]
    public void A_disengaged_lesson_is_one_episode_signalled_once_and_a_new_one_starts_only_after_a_clear_window()
    {
        var room = new Classroom();
        // Windows 0-180 s disengaged (one episode), 180-240 s engaged, 240-300 s disengaged again.
        for (var i = 0; i < 6; i++)
        {
            room.Subject(0.2, seconds: 180);
            room.Subject(0.7, fromSecond: 180, seconds: 60);
            room.Subject(0.2, fromSecond: 240, seconds: 60);
        }

        room.Scene.Expect(RuleCatalog.LowEngagement.Name, "room-101", startSecond: 0);
        room.Scene.Expect(RuleCatalog.LowEngagement.Name, "room-101", startSecond: 240);

        var first = room.Run();
        var second = room.Run();

        room.Scene.AssertExactly(first, startToleranceSeconds: 0);
        Assert.Equal(first.Select(s => s.Id), second.Select(s => s.Id));
    }

    [Fact]
    public void A_window_with_too_few_subjects_ends_an_episode()
    {
        var room = new Classroom();
        // Disengaged 0-60 s, only three subjects 60-120 s (below the privacy floor), disengaged again 120-180 s.
        for (var i = 0; i < 6; i++)
        {
            room.Subject(0.2);
            room.Subject(0.2, fromSecond: 120);
        }

        for (var i = 0; i < 3; i++)
        {
            room.Subject(0.2, fromSecond: 60);
        }

        room.Scene.Expect(RuleCatalog.LowEngagement.Name, "room-101", startSecond: 0);
        room.Scene.Expect(RuleCatalog.LowEngagement.Name, "room-101", startSecond: 120);

        room.Scene.AssertExactly(room.Run(), startToleranceSeconds: 0);
    }

    [Fact]
    public void An_open_episode_is_open_state_so_a_restart_replaying_from_it_signals_nothing_new()
    {
        var room = new Classroom();
        for (var i = 0; i < 6; i++)
        {
            room.Subject(0.2, seconds: 300);
        }

        var samples = room.Samples.OrderBy(s => s.OccurredAt).ToList();
        var context = room.Scene.Context();
        var engine = new RuleEngine(new ClassroomRule(_settings), Scene.Lateness);
        var sink = new SignalBuffer();
        // Crash after 200 s: the episode began at 0 s and is still going on.
        foreach (var sample in samples.Where(s => s.OccurredAt < room.Scene.At(200)))
        {
            engine.Observe(sample, context, sink);
        }

        var since = engine.OpenStateSince()[(Scene.OrgId, Scene.CameraId)];
        Assert.Equal(room.Scene.At(0), since);

        var replayed = room.Scene.Run(new ClassroomRule(_settings), samples.Where(s => s.OccurredAt >= since));

        var signal = Assert.Single(sink.Signals);
        Assert.Equal([signal.Id], replayed.Select(s => s.Id));
    }
}
