using Analytics.Schemas.Contracts;

namespace Analytics.Rules;

/// <summary>
/// A detector that turns one camera's observations into signals. Time moves only with the event
/// time of what is fed in, never with the wall clock, and only per camera: each camera has its own
/// clock, so one camera's skew, backlog or silence never changes another camera's signals, and
/// replaying the log reproduces every signal with the same id.
/// </summary>
/// <remarks>
/// Not thread-safe: one consumer (one log partition) drives one instance, through a
/// <see cref="RuleEngine"/> that keeps each camera's clock. State is kept per camera, so
/// observations of different cameras may interleave freely; within a camera they arrive in
/// event-time order up to the allowed lateness (slightly older ones are tolerated and do not move
/// time back).
/// <para>
/// Rebuilding after a restart: open state (a dwell timer, a crowd, a classroom window) exists only
/// in memory. Before committing a checkpoint the consumer stores where each camera's
/// <see cref="OpenStateSince"/> begins beside it; after a restart it replays each camera from there
/// up to the checkpoint into a fresh instance. Signals the replay yields again have the same ids
/// and are stored once.
/// </para>
/// </remarks>
public interface IRule
{
    /// <summary>
    /// The observation types (<see cref="EventTypes"/>) the rule reads. The consumer decodes only
    /// these; every other entry of the camera still moves its clock, by its stored event time.
    /// </summary>
    IReadOnlySet<string> ObservationTypes { get; }

    /// <summary>Feeds one observation; kinds the rule does not use are ignored cheaply.</summary>
    /// <param name="observation">A track update, zone hit or affect telemetry.</param>
    /// <param name="context">The organization and zones of <paramref name="observation"/>'s camera.</param>
    /// <param name="sink">Receives the signals this observation completes.</param>
    void Observe(Observation observation, RuleContext context, ISignalSink sink);

    /// <summary>
    /// Moves the clock of <paramref name="context"/>'s camera to <paramref name="watermark"/>, a time
    /// no later observation of that camera falls behind. Closes what has timed out there (exit
    /// grace, windows), so a camera that went quiet still completes its behaviours and frees its
    /// memory. A camera the rule has never seen is left alone.
    /// </summary>
    void Advance(RuleContext context, DateTimeOffset watermark, ISignalSink sink);

    /// <summary>
    /// Ends every open state of <paramref name="context"/>'s camera as if its clock had moved past
    /// <paramref name="lastObserved"/> (its newest observation) plus every grace and window of the
    /// rule, then forgets the camera: what arrives for it afterwards starts from a fresh state.
    /// The idle fallback calls it for a camera that sent nothing at all for a long time.
    /// </summary>
    void Close(RuleContext context, DateTimeOffset lastObserved, ISignalSink sink);

    /// <summary>
    /// The earliest event time that state still held in memory depends on, per camera
    /// (organization and camera); empty when nothing is open. Replaying each camera from its
    /// time rebuilds the open state exactly.
    /// </summary>
    IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> OpenStateSince();
}

/// <summary>Receives signals as rules complete them.</summary>
public interface ISignalSink
{
    void Emit(Signal signal);
}

/// <summary>A sink that keeps every signal in order, for consumers that commit them in batches.</summary>
public sealed class SignalBuffer : ISignalSink
{
    private readonly List<Signal> _signals = [];

    public IReadOnlyList<Signal> Signals => _signals;

    public void Emit(Signal signal) => _signals.Add(signal);

    public void Clear() => _signals.Clear();
}

/// <summary>Several rules driven as one, e.g. all rules of a service.</summary>
public sealed class RuleSet(IReadOnlyList<IRule> rules) : IRule
{
    private readonly IRule[] _rules = [.. rules];

    public IReadOnlyList<IRule> Rules => _rules;

    public IReadOnlySet<string> ObservationTypes { get; } = rules.SelectMany(rule => rule.ObservationTypes).ToHashSet(StringComparer.Ordinal);

    public void Observe(Observation observation, RuleContext context, ISignalSink sink)
    {
        foreach (var rule in _rules)
        {
            rule.Observe(observation, context, sink);
        }
    }

    public void Advance(RuleContext context, DateTimeOffset watermark, ISignalSink sink)
    {
        foreach (var rule in _rules)
        {
            rule.Advance(context, watermark, sink);
        }
    }

    public void Close(RuleContext context, DateTimeOffset lastObserved, ISignalSink sink)
    {
        foreach (var rule in _rules)
        {
            rule.Close(context, lastObserved, sink);
        }
    }

    public IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> OpenStateSince()
    {
        var oldest = new Dictionary<(string OrgId, string CameraId), DateTimeOffset>();
        foreach (var rule in _rules)
        {
            foreach (var (camera, since) in rule.OpenStateSince())
            {
                if (!oldest.TryGetValue(camera, out var known) || since < known)
                {
                    oldest[camera] = since;
                }
            }
        }

        return oldest;
    }
}
