using System.Text.Json;
using Analytics.Antitheft;
using Analytics.Antitheft.Rules;
using Analytics.Education;
using Analytics.Education.Rules;
using Analytics.Rules;
using Analytics.Safety;
using Analytics.Safety.Rules;
using Analytics.Scenes;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Settings;
using Analytics.Simulator;
using Analytics.Simulator.Scenes;

namespace Analytics.Tests.Simulator;

/// <summary>
/// The simulator's scenes, rendered in event time from a fixed start, fed through every rule
/// service's real rules with default settings: exactly the labelled behaviours, no more.
/// </summary>
public sealed class SimulatedScenesTests
{
    private const string OrgId = "dev-org";

    // Whole-minute and odd starts: classroom windows are aligned to the epoch, the scene to its start.
    public static TheoryData<string, int, int, long> Cases()
    {
        var data = new TheoryData<string, int, int, long>();
        var starts = new[]
        {
            new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero).UtcTicks,
            new DateTimeOffset(2025, 3, 3, 10, 0, 37, 410, TimeSpan.Zero).UtcTicks,
            new DateTimeOffset(2025, 3, 3, 21, 59, 2, 930, TimeSpan.Zero).UtcTicks,
        };
        foreach (var scene in SimulatorSettings.KnownScenes)
        {
            for (var i = 0; i < starts.Length; i++)
            {
                data.Add(scene, (i % 2) + 1, i, starts[i]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_scene_yields_exactly_its_labels_through_all_rules(string scene, int camera, int run, long startTicks)
    {
        var script = SimulatedScenes.Build(scene, OrgId, camera, run, new DateTimeOffset(startTicks, TimeSpan.Zero));
        var observations = script.Observations();

        var signals = RunAllRules(script, observations);

        var actual = signals.Select(s => $"{s.Kind}:{SubjectOf(s)}").Order(StringComparer.Ordinal).ToList();
        var expected = script.Labels.Select(l => $"{l.Kind}:{l.Subject}").Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"expected [{string.Join(", ", expected)}] but got [{string.Join(", ", actual)}]");
        foreach (var label in script.Labels.Where(l => l.StartSecond is not null))
        {
            var starts = signals.Where(s => s.Kind == label.Kind && SubjectOf(s) == label.Subject).Select(s => (s.StartedAt - script.Start).TotalSeconds);
            Assert.Contains(starts, second => Math.Abs(second - label.StartSecond!.Value) <= 1.5);
        }

        foreach (var signal in signals)
        {
            Assert.Empty(ContractValidator.Validate(signal, signal.EndedAt.AddHours(1)));
            Assert.Equal(OrgId, signal.OrgId);
            Assert.Equal(script.CameraId, signal.CameraId);
        }
    }

    [Theory]
    [InlineData("store", 1, 5)]
    [InlineData("store", 20, 10)]
    [InlineData("store", 6, 2)]
    [InlineData("store", 12, 30)]
    [InlineData("warehouse", 1, 5)]
    [InlineData("warehouse", 20, 10)]
    [InlineData("warehouse", 6, 2)]
    [InlineData("warehouse", 12, 30)]
    [InlineData("classroom", 1, 5)]
    [InlineData("classroom", 40, 10)]
    [InlineData("classroom", 6, 2)]
    [InlineData("theft", 3, 5)]
    [InlineData("theft", 12, 10)]
    public void Labels_hold_for_any_number_of_objects_and_frame_rate(string scene, int objects, int fps)
    {
        var script = SimulatedScenes.Build(scene, OrgId, 1, 3, new DateTimeOffset(2025, 3, 4, 7, 30, 12, 120, TimeSpan.Zero), objects, fps);

        var signals = RunAllRules(script, script.Observations());

        var actual = signals.Select(s => $"{s.Kind}:{SubjectOf(s)}").Order(StringComparer.Ordinal).ToList();
        var expected = script.Labels.Select(l => $"{l.Kind}:{l.Subject}").Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(actual), $"expected [{string.Join(", ", expected)}] but got [{string.Join(", ", actual)}]");
    }

    [Theory]
    [InlineData("store", 3)]
    [InlineData("warehouse", 3)]
    [InlineData("classroom", 5)]
    [InlineData("theft", 3)]
    public void Each_scene_contains_its_behaviours(string scene, int minimumObjects)
    {
        var script = SimulatedScenes.Build(scene, OrgId, 1, 0, DateTimeOffset.UnixEpoch.AddDays(20000));
        var kinds = script.Labels.Select(l => l.Kind).ToHashSet(StringComparer.Ordinal);
        string[] wanted = scene switch
        {
            "store" => [RuleCatalog.Loitering.Name, RuleCatalog.ProductRemoval.Name],
            "warehouse" => [RuleCatalog.MissingPpe.Name, RuleCatalog.Fall.Name, RuleCatalog.Running.Name],
            "theft" => [RuleCatalog.ProductRemoval.Name],
            _ => [RuleCatalog.LowEngagement.Name],
        };
        Assert.Subset(kinds, wanted.ToHashSet(StringComparer.Ordinal));

        var observations = script.Observations();
        var objects = observations.Select(o => o switch
        {
            TrackUpdate track => track.TrackId,
            AffectTelemetry affect => affect.SubjectKey,
            _ => "",
        }).Distinct(StringComparer.Ordinal).Count();
        Assert.True(objects >= minimumObjects, $"{objects} objects");
    }

    [Theory]
    [InlineData("store")]
    [InlineData("warehouse")]
    [InlineData("classroom")]
    public void Every_observation_is_valid_in_frame_order_and_tracks_flicker(string scene)
    {
        var script = SimulatedScenes.Build(scene, OrgId, 2, 5, new DateTimeOffset(2025, 6, 1, 8, 0, 0, 250, TimeSpan.Zero), objects: 8, fps: 5);
        var observations = script.Observations();

        Assert.NotEmpty(observations);
        foreach (var observation in observations)
        {
            Assert.Empty(ContractValidator.Validate(observation, observation.OccurredAt));
            Assert.Equal(script.CameraId, observation.CameraId);
            Assert.Equal(SimulatedScenes.SiteOf(scene), observation.SiteId);
        }

        Assert.True(observations.Zip(observations.Skip(1)).All(pair => pair.First.OccurredAt <= pair.Second.OccurredAt));
        Assert.All(script.Zones, zone => Assert.Empty(ContractValidator.Validate(zone, DateTimeOffset.UtcNow)));

        // Some object goes missing for a while and comes back: the tracker flickers.
        var gaps = observations
            .GroupBy(KeyOf, StringComparer.Ordinal)
            .Select(track => track.Zip(track.Skip(1)).Max(pair => (pair.Second.OccurredAt - pair.First.OccurredAt).TotalSeconds))
            .ToList();
        Assert.Contains(gaps, gap => gap > 2.5 / script.Fps);
    }

    [Fact]
    public void Rendering_frame_by_frame_as_the_player_does_gives_the_same_observations_as_rendering_at_once()
    {
        var start = new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero);
        var whole = SimulatedScenes.Build("store", OrgId, 1, 0, start).Observations();
        var stepwise = SimulatedScenes.Build("store", OrgId, 1, 0, start);
        var rendered = new List<Observation>();
        for (var frame = 0; frame < stepwise.FrameCount; frame++)
        {
            stepwise.RenderFrame(frame, rendered);
        }

        Assert.Equal(whole, rendered);
    }

    [Fact]
    public void A_looped_play_through_uses_new_track_ids_and_keeps_its_zones()
    {
        var start = new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero);
        var first = SimulatedScenes.Build("warehouse", OrgId, 1, 0, start);
        var second = SimulatedScenes.Build("warehouse", OrgId, 1, 1, start.AddMinutes(2));

        Assert.Empty(first.Labels.Select(l => l.Subject).Intersect(second.Labels.Select(l => l.Subject)));
        Assert.Equal(Json(first.Zones), Json(second.Zones));
    }

    [Fact]
    public void Simulator_settings_default_to_every_scene_and_need_a_long_key()
    {
        var settings = new SimulatorSettings();
        Assert.Equal(["store", "classroom", "warehouse"], settings.SceneList());
        Assert.NotEmpty(SettingsValidator.Validate(settings, SimulatorSettings.SectionName));
        settings.ApiKey = new string('k', 32);
        Assert.Empty(SettingsValidator.Validate(settings, SimulatorSettings.SectionName));
        settings.Scenes = " Store, warehouse,store ";
        Assert.Equal(["store", "warehouse"], settings.SceneList());
        Assert.Empty(SettingsValidator.Validate(settings, SimulatorSettings.SectionName));
        settings.Scenes = "store,mall";
        Assert.Contains(SettingsValidator.Validate(settings, SimulatorSettings.SectionName), p => p.Contains("Simulator:Scenes", StringComparison.Ordinal) && p.Contains("mall", StringComparison.Ordinal));
    }

    private static string Json(IReadOnlyList<Zone> zones) => JsonSerializer.Serialize(zones, AnalyticsJsonContext.Default.IReadOnlyListZone);

    private static string KeyOf(Observation observation) => observation switch
    {
        TrackUpdate track => track.TrackId,
        AffectTelemetry affect => affect.SubjectKey,
        _ => "",
    };

    private static List<Signal> RunAllRules(SceneScript script, List<Observation> observations)
    {
        var catalog = new ZoneCatalog(script.Zones);
        var context = catalog.For(script.OrgId, script.CameraId);
        var rules = new IRule[]
        {
            AntitheftRules.Create(new AntitheftSettings()),
            SafetyRules.Create(new SafetySettings()),
            EducationRules.Create(new EducationSettings()),
        };
        var engines = rules.Select(rule => new RuleEngine(rule, Tests.Rules.Scene.Lateness)).ToList();
        var sink = new SignalBuffer();
        foreach (var observation in observations)
        {
            foreach (var engine in engines)
            {
                engine.Observe(observation, context, sink);
            }
        }

        var last = observations.Max(o => o.OccurredAt);
        foreach (var engine in engines)
        {
            engine.Heartbeat(context, last.AddHours(2), sink);
        }

        return [.. sink.Signals];
    }

    private static string? SubjectOf(Signal signal) => Tests.Rules.Scene.SubjectOf(signal);
}
