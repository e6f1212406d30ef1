using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;

namespace Analytics.Fusion.Incidents;

/// <summary>
/// Decides what a signal does to incidents: join the newest incident of its group within the
/// window, reopen it shortly after resolution, or open a new one; and escalate when the signals
/// of a correlation rule come together or a more severe signal joins. No I/O: the caller loads
/// the newest incident of each group and stores the events this returns.
/// </summary>
public sealed class IncidentFolder
{
    public const string Actor = "fusion";

    private readonly FusionSettings _settings;
    private readonly Dictionary<string, CorrelationRule> _ruleByKind = new(StringComparer.Ordinal);

    public IncidentFolder(FusionSettings settings)
    {
        _settings = settings;
        foreach (var rule in settings.Correlations)
        {
            foreach (var kind in rule.Kinds)
            {
                _ruleByKind[kind] = rule;
            }
        }
    }

    /// <summary>
    /// What signals must share to form one incident: organization (implicitly, keys are per
    /// organization), site, the place the correlation's scope names (by default the zone, or the
    /// camera when there is none), and the incident kind or correlation.
    /// </summary>
    public string GroupKeyOf(Signal signal)
    {
        var rule = _ruleByKind.GetValueOrDefault(signal.Kind);
        var place = (rule?.Scope ?? CorrelationScope.Zone) switch
        {
            CorrelationScope.Site => "site",
            CorrelationScope.Camera => "camera:" + signal.CameraId,
            _ => signal.ZoneId is { } zone ? "zone:" + zone : "camera:" + signal.CameraId,
        };
        return $"{signal.SiteId}/{place}/{rule?.Name ?? signal.Kind}";
    }

    /// <summary>
    /// Folds <paramref name="signal"/> into <paramref name="newest"/>, the newest incident of its
    /// group (null when the group has none), adding the events to <paramref name="output"/>.
    /// </summary>
    /// <returns>The incident the signal ended up in, after the events.</returns>
    public IncidentState Fold(Signal signal, IncidentState? newest, DateTimeOffset now, IReadOnlyList<Silence> silences, IncidentEventBatch output)
    {
        var rule = _ruleByKind.GetValueOrDefault(signal.Kind);
        // A correlation's signals must be able to meet, so its window widens the group's.
        var window = TimeSpan.FromSeconds(Math.Max(_settings.GroupWindowSeconds, rule?.WindowSeconds ?? 0));
        if (newest is { Status: not IncidentStatus.Resolved } && signal.StartedAt <= newest.LastSignalAt + window)
        {
            return Attach(newest, signal, rule, now, silences, output);
        }
        if (newest is { Status: IncidentStatus.Resolved, ResolvedAt: { } resolvedAt }
            && now - resolvedAt <= TimeSpan.FromSeconds(_settings.ReopenResolvedWithinSeconds))
        {
            var reopened = Emit(newest, output, new IncidentReopened
            {
                IncidentId = newest.IncidentId,
                OrgId = newest.OrgId,
                Version = newest.Version + 1,
                At = now,
                Actor = Actor,
                SignalId = signal.Id,
                Reason = Invariant($"{signal.Kind} signal {signal.Id} came {(now - resolvedAt).TotalSeconds:0} s after it was resolved"),
                SilenceId = Silences.Matching(silences, newest, now),
                SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
            });
            return Attach(reopened, signal, rule, now, silences, output);
        }
        return Open(signal, now, silences, output);
    }

    private IncidentState Open(Signal signal, DateTimeOffset now, IReadOnlyList<Silence> silences, IncidentEventBatch output)
    {
        var opened = new IncidentOpened
        {
            IncidentId = IncidentIdOf(signal),
            OrgId = signal.OrgId,
            Version = 1,
            At = now,
            Actor = Actor,
            SignalId = signal.Id,
            SignalKind = signal.Kind,
            SignalAt = signal.EndedAt,
            Domain = signal.Domain,
            Kind = signal.Kind,
            Severity = signal.Severity,
            SiteId = signal.SiteId,
            CameraId = signal.CameraId,
            ZoneId = signal.ZoneId,
            GroupKey = GroupKeyOf(signal),
            Reason = Invariant($"{signal.Kind} signal {signal.Id} was {Wire.Name(signal.Severity)}"),
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        };
        var state = IncidentProjection.Apply(null, opened);
        return Emit(null, output, opened with { SilenceId = Silences.Matching(silences, state, now) });
    }

    private static IncidentState Attach(
        IncidentState incident, Signal signal, CorrelationRule? rule, DateTimeOffset now, IReadOnlyList<Silence> silences, IncidentEventBatch output)
    {
        var reference = new AttachedSignal { Id = signal.Id, Kind = signal.Kind, At = signal.EndedAt, CameraId = signal.CameraId, ZoneId = signal.ZoneId };
        var attached = output.TryJoinNewestAttachment(incident, reference, now) ?? Emit(incident, output, new IncidentSignalsAttached
        {
            IncidentId = incident.IncidentId,
            OrgId = incident.OrgId,
            Version = incident.Version + 1,
            At = now,
            Actor = Actor,
            Signals = [reference],
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        });

        string? kind = null;
        var severity = attached.Severity;
        string reason;
        if (rule is not null && attached.Kind != rule.Name && rule.Kinds.All(attached.SignalKinds.Contains))
        {
            kind = rule.Name;
            severity = Max(severity, rule.Severity);
            reason = Invariant($"{string.Join(" and ", rule.Kinds)} in the same {rule.Scope.ToString().ToLowerInvariant()} within {rule.WindowSeconds} s make {rule.Name}");
        }
        else if (signal.Severity > attached.Severity)
        {
            severity = signal.Severity;
            reason = Invariant($"{signal.Kind} signal {signal.Id} was {Wire.Name(signal.Severity)}");
        }
        else
        {
            return attached;
        }

        var changed = new IncidentSeverityChanged
        {
            IncidentId = attached.IncidentId,
            OrgId = attached.OrgId,
            Version = attached.Version + 1,
            At = now,
            Actor = Actor,
            SignalId = signal.Id,
            Kind = kind,
            Severity = severity,
            Reason = reason,
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        };
        // The silence is judged on the incident as it will be, e.g. under its new kind.
        var after = IncidentProjection.Apply(attached, changed);
        return Emit(attached, output, changed with { SilenceId = Silences.Matching(silences, after, now) });
    }

    private static IncidentState Emit(IncidentState? state, IncidentEventBatch output, IncidentEvent e)
    {
        var next = IncidentProjection.Apply(state, e);
        output.Add(e);
        return next;
    }

    private static Severity Max(Severity a, Severity b) => a >= b ? a : b;

    /// <summary>Derived from the opening signal, so re-folding the same signal can never open a second incident.</summary>
    private static string IncidentIdOf(Signal signal) =>
        "inc-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{signal.OrgId}\n{signal.Id}")).AsSpan(0, 12));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
