using System.Runtime.InteropServices;
using Analytics.Schemas.Contracts;

namespace Analytics.Rules;

/// <summary>What <see cref="RuleEngine"/> made of one entry of a camera.</summary>
[Flags]
public enum Fed
{
    /// <summary>Fed to the rules; the camera's newest event time stayed where it was.</summary>
    Observed = 0,

    /// <summary>
    /// Older than the camera's watermark, so not fed: what it could have changed is already
    /// decided. It stays in the log; the consumer counts and logs it.
    /// </summary>
    Late = 1,

    /// <summary>The camera's newest event time moved forward with this entry.</summary>
    ClockMoved = 2,

    /// <summary>
    /// The idle fallback closed the camera and this entry is older than what the camera had sent
    /// before: a backlog that arrived after the close, which the rules take from a fresh state.
    /// </summary>
    AfterIdleClose = 4,
}

/// <summary>
/// Drives a service's rules with one clock per camera. A camera's clock moves only with its own
/// entries: its observations (up to <c>allowedLateness</c> behind the newest one seen, the
/// watermark), its heartbeats (the edge's promise that nothing older will come), and the idle
/// fallback's close. No other camera's skew, backlog or silence reaches it, so a buffered upload
/// hours late gives the signals it gave live, and replaying the log gives the same signals
/// whatever the batching or the interleaving of cameras.
/// </summary>
/// <remarks>
/// The hot path is one reference comparison per observation (entries arrive in runs per camera)
/// and one call to the rules' <see cref="IRule.Advance"/> per camera per whole second of event
/// time. The rules are advanced to whole seconds of the epoch, never to the instant an entry
/// happened to carry, so a replay that starts anywhere sweeps at the same instants.
/// Not thread-safe, like the rules it drives.
/// </remarks>
public sealed class RuleEngine
{
    private readonly IRule _rules;
    private readonly long _latenessTicks;
    private readonly Dictionary<(string OrgId, string CameraId), CameraClock> _clocks = [];
    private CameraClock? _last;

    /// <param name="rules">The service's rules.</param>
    /// <param name="allowedLateness">How far behind a camera's newest observation another one may be and still count.</param>
    public RuleEngine(IRule rules, TimeSpan allowedLateness)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentOutOfRangeException.ThrowIfLessThan(allowedLateness, TimeSpan.Zero);
        _rules = rules;
        _latenessTicks = allowedLateness.Ticks;
    }

    public IRule Rules => _rules;

    /// <summary>The observation types the rules read; other entries of a camera go to <see cref="Pass"/>.</summary>
    public IReadOnlySet<string> ObservationTypes => _rules.ObservationTypes;

    /// <summary>Feeds an observation the rules read, unless it is late for its camera.</summary>
    public Fed Observe(Observation observation, RuleContext context, ISignalSink sink)
    {
        var fed = Tick(ClockFor(context), context, observation.OccurredAt.UtcTicks, sink);
        if ((fed & Fed.Late) == 0)
        {
            _rules.Observe(observation, context, sink);
        }

        return fed;
    }

    /// <summary>An entry of the camera that the rules do not read: its event time still moves the camera's clock.</summary>
    public Fed Pass(RuleContext context, DateTimeOffset occurredAt, ISignalSink sink) =>
        Tick(ClockFor(context), context, occurredAt.UtcTicks, sink);

    /// <summary>
    /// The edge's promise that every observation of the camera up to <paramref name="upTo"/> has been
    /// sent: the watermark moves there at once, closing what timed out by then.
    /// </summary>
    public Fed Heartbeat(RuleContext context, DateTimeOffset upTo, ISignalSink sink)
    {
        var clock = ClockFor(context);
        var ticks = upTo.UtcTicks;
        if (ticks < clock.WatermarkTicks)
        {
            return Fed.Late;
        }

        var fed = Fed.Observed;
        if (ticks > clock.NewestTicks)
        {
            clock.NewestTicks = ticks;
            fed |= Fed.ClockMoved;
        }

        if (ticks > clock.WatermarkTicks)
        {
            clock.WatermarkTicks = ticks;
            AdvanceRules(clock, context, sink);
        }

        return fed;
    }

    /// <summary>
    /// The idle fallback: the camera sent nothing at all for a long time. Its open state ends as
    /// if its clock had run past its newest observation plus every grace, and the camera starts
    /// afresh: a backlog arriving afterwards is not late, it is taken from a fresh state.
    /// </summary>
    /// <param name="context">The camera.</param>
    /// <param name="lastEventTime">The newest event time ingest had for the camera when it closed it (the entry's event time).</param>
    /// <param name="sink">Receives what the close completes.</param>
    /// <returns>
    /// Whether the camera was closed: false when nothing of it was seen since its last close, or
    /// when the log already holds newer entries of it than the close knew of (the camera sent
    /// again while ingest was closing it), so the close is stale.
    /// </returns>
    public bool CloseIdle(RuleContext context, DateTimeOffset lastEventTime, ISignalSink sink)
    {
        var clock = ClockFor(context);
        if (clock.NewestTicks == 0 || clock.NewestTicks > lastEventTime.UtcTicks)
        {
            return false;
        }

        _rules.Close(context, At(clock.NewestTicks), sink);
        clock.ClosedAtTicks = Math.Max(clock.ClosedAtTicks, clock.NewestTicks);
        clock.NewestTicks = 0;
        clock.WatermarkTicks = 0;
        clock.AdvancedSecond = long.MinValue;
        return true;
    }

    /// <inheritdoc cref="IRule.OpenStateSince"/>
    public IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> OpenStateSince() => _rules.OpenStateSince();

    private Fed Tick(CameraClock clock, RuleContext context, long ticks, ISignalSink sink)
    {
        if (ticks < clock.WatermarkTicks)
        {
            return Fed.Late;
        }

        var fed = Fed.Observed;
        if (clock.ClosedAtTicks != 0)
        {
            if (ticks <= clock.ClosedAtTicks)
            {
                fed |= Fed.AfterIdleClose;
            }
            else
            {
                clock.ClosedAtTicks = 0;
            }
        }

        if (ticks <= clock.NewestTicks)
        {
            return fed;
        }

        clock.NewestTicks = ticks;
        fed |= Fed.ClockMoved;
        var watermark = ticks - _latenessTicks;
        if (watermark > clock.WatermarkTicks)
        {
            clock.WatermarkTicks = watermark;
            AdvanceRules(clock, context, sink);
        }

        return fed;
    }

    /// <summary>Advances the rules to the last whole second at or before the watermark, once per second.</summary>
    private void AdvanceRules(CameraClock clock, RuleContext context, ISignalSink sink)
    {
        var second = Math.DivRem(clock.WatermarkTicks, TimeSpan.TicksPerSecond, out var rest);
        if (rest < 0)
        {
            second--;
        }
        if (second > clock.AdvancedSecond)
        {
            clock.AdvancedSecond = second;
            _rules.Advance(context, At(second * TimeSpan.TicksPerSecond), sink);
        }
    }

    private CameraClock ClockFor(RuleContext context)
    {
        // Entries arrive in runs per camera, so a reference check usually replaces the lookup.
        var clock = _last;
        if (clock is not null && ReferenceEquals(clock.Context, context))
        {
            return clock;
        }

        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_clocks, (context.OrgId, context.CameraId), out var exists);
        if (!exists || slot is null)
        {
            slot = new CameraClock();
        }

        clock = slot;
        clock.Context = context;
        _last = clock;
        return clock;
    }

    private static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    /// <summary>One camera's clock. Ticks are UTC; 0 means "nothing seen since the start or the last close".</summary>
    private sealed class CameraClock
    {
        public RuleContext Context { get; set; } = null!;

        /// <summary>The newest event time of the camera's entries.</summary>
        public long NewestTicks { get; set; }

        /// <summary>No later entry of the camera may be older than this; what timed out before it is closed.</summary>
        public long WatermarkTicks { get; set; }

        /// <summary>The whole epoch second the rules were last advanced to.</summary>
        public long AdvancedSecond { get; set; } = long.MinValue;

        /// <summary>The newest event time before the last idle close, while the backlog after it is still older.</summary>
        public long ClosedAtTicks { get; set; }
    }
}
