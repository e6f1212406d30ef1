using Analytics.Schemas.Contracts;

namespace Analytics.Rules;

/// <summary>
/// A detector that turns one camera's observations into signals. Time moves only with the event
/// time of what is fed in, never with the wall clock, so replaying the log reproduces every signal
/// with the same id.
/// </summary>
/// <remarks>
/// Not thread-safe: one consumer (one log partition) drives one instance. State is kept per
/// camera, so observations of different cameras may interleave freely; within a camera they should
/// arrive in event-time order (slightly older ones are tolerated and do not move time back).
/// <para>
/// Rebuilding after a restart: open state (a dwell timer, a crowd, a classroom window) exists only
/// in memory. Before committing a checkpoint the consumer stores <see cref="OpenStateSince"/>
/// beside it; after a restart it replays observations from that event time (per camera, or for
/// all cameras from the oldest) up to the checkpoint into a fresh instance, discarding the signals
/// that replay yields before the checkpoint or not (their ids are deterministic, so re-emitted
/// ones are duplicates downstream and are dropped there).
/// </para>
/// </remarks>
public interface IRule
{
    /// <summary>
    /// The observation types (<see cref="EventTypes"/>) the rule reads. The consumer decodes only
    /// these; every other entry still moves the clock, by its stored event time.
    /// </summary>
    IReadOnlySet<string> ObservationTypes { get; }

    /// <summary>Feeds one observation; kinds the rule does not use are ignored cheaply.</summary>
    /// <param name="observation">A track update, zone hit or affect telemetry.</param>
    /// <param name="context">The organization and zones of <paramref name="observation"/>'s camera.</param>
    /// <param name="sink">Receives the signals this observation completes.</param>
    void Observe(Observation observation, RuleContext context, ISignalSink sink);

    /// <summary>
    /// Moves the clock of every camera of <paramref name="orgId"/> (of every organization when
    /// null) to at least <paramref name="eventTime"/>, a watermark the consumer promises no later
    /// observation of those cameras falls behind. Closes what has timed out (exit grace, windows),
    /// so a camera that went silent still completes its behaviours and frees its memory. Per
    /// organization, because tenants' edge devices share no clock: one tenant's late stream must
    /// not be closed by another's.
    /// </summary>
    void Advance(DateTimeOffset eventTime, ISignalSink sink, string? orgId = null);

    /// <summary>
    /// The earliest event time that state still held in memory depends on, per camera (keyed by
    /// <see cref="CameraKey.Of"/>: organization and camera); empty when
    /// nothing is open. Replaying each camera from its time rebuilds the open state exactly.
    /// </summary>
    IReadOnlyDictionary<string, DateTimeOffset> OpenStateSince();
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

    public void Advance(DateTimeOffset eventTime, ISignalSink sink, string? orgId = null)
    {
        foreach (var rule in _rules)
        {
            rule.Advance(eventTime, sink, orgId);
        }
    }

    public IReadOnlyDictionary<string, DateTimeOffset> OpenStateSince()
    {
        var oldest = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
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
