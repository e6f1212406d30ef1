using System.Text.Json;
using Analytics.Rules;
using Analytics.Scenes;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Settings;

namespace Analytics.Tests.Rules;

/// <summary>
/// A scripted camera scene for the rule tests: a <see cref="SceneScript"/> on one fixed camera,
/// plus running it through a rule and asserting exactly its labels.
/// </summary>
public sealed class Scene(int seed = 7, double fps = 10, DateTimeOffset? start = null)
{
    public const string OrgId = "org-scene";
    public const string SiteId = "site-scene";
    public const string CameraId = "cam-scene";

    private readonly SceneScript _script = new(OrgId, SiteId, CameraId, start ?? new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero), seed, fps);

    public DateTimeOffset Start => _script.Start;

    public double Fps => _script.Fps;

    public IReadOnlyList<Label> Labels => _script.Labels;

    public IReadOnlyList<Zone> Zones => _script.Zones;

    public Zone Zone(
        string zoneId, ZoneKind kind, double left, double top, double right, double bottom, ActiveHours? schedule = null,
        IReadOnlyList<string>? rules = null, ZoneThresholds? thresholds = null) =>
        _script.Zone(zoneId, kind, left, top, right, bottom, schedule, rules, thresholds);

    public SceneScript.Actor Person(string trackId, double x, double y, double atSecond = 0) => _script.Person(trackId, x, y, atSecond);

    public SceneScript.Actor Product(string trackId, double x, double y, double atSecond = 0) => _script.Product(trackId, x, y, atSecond);

    public void Expect(string kind, string subject, double? startSecond = null) => _script.Expect(kind, subject, startSecond);

    public RuleContext Context() => new(OrgId, CameraId, _script.Zones);

    /// <summary>Every observation in frame order, as the log would deliver it.</summary>
    public List<Observation> Observations() => _script.Observations();

    public DateTimeOffset At(double second) => _script.At(second);

    /// <summary>The lateness the services allow by default.</summary>
    public static readonly TimeSpan Lateness = TimeSpan.FromSeconds(new RulesSettings().AllowedLatenessSeconds);

    /// <summary>
    /// Feeds the scene to <paramref name="rule"/> through a <see cref="RuleEngine"/>, as a rule
    /// service does, then sends a heartbeat two hours on, past every grace and window.
    /// </summary>
    public IReadOnlyList<Signal> Run(IRule rule, IEnumerable<Observation>? observations = null)
    {
        var context = Context();
        var sink = new SignalBuffer();
        var engine = new RuleEngine(rule, Lateness);
        var list = (observations ?? Observations()).ToList();
        foreach (var observation in list)
        {
            engine.Observe(observation, context, sink);
        }

        var last = list.Count == 0 ? Start : list.Max(o => o.OccurredAt);
        engine.Heartbeat(context, last.AddHours(2), sink);
        return sink.Signals;
    }

    /// <summary>Asserts the signals are exactly the labels (as a multiset), valid and uniquely identified.</summary>
    public void AssertExactly(IReadOnlyList<Signal> signals, double startToleranceSeconds = 1.5)
    {
        var actual = signals.Select(s => $"{s.Kind}:{SubjectOf(s)}").Order(StringComparer.Ordinal).ToList();
        var expected = Labels.Select(l => $"{l.Kind}:{l.Subject}").Order(StringComparer.Ordinal).ToList();
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

        foreach (var label in Labels.Where(l => l.StartSecond is not null))
        {
            var candidates = signals.Where(s => s.Kind == label.Kind).Select(s => (s.StartedAt - Start).TotalSeconds).ToList();
            Assert.Contains(candidates, second => Math.Abs(second - label.StartSecond!.Value) <= startToleranceSeconds);
        }
    }

    /// <summary>Zone-level behaviours belong to their zone, the others to the first track involved.</summary>
    public static string? SubjectOf(Signal signal) =>
        signal.Kind == RuleCatalog.Crowding.Name || signal.Kind == RuleCatalog.LowEngagement.Name || signal.Kind == RuleCatalog.Distress.Name
            ? signal.ZoneId
            : signal.TrackIds[0];

    public static string Json(IEnumerable<Signal> signals) =>
        JsonSerializer.Serialize(signals.ToList(), AnalyticsJsonContext.Default.IReadOnlyListSignal);
}
