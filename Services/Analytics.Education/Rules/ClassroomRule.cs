using Analytics.Rules;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;

namespace Analytics.Education.Rules;

/// <summary>
/// Windowed aggregates of affect telemetry per classroom zone: low engagement of the class, and
/// distress when enough subjects stay below the valence threshold long enough. Windows are
/// aligned to multiples of <see cref="EducationSettings.WindowSeconds"/> since the Unix epoch, so
/// a replay cuts the same windows.
/// </summary>
/// <remarks>
/// Privacy: a window with fewer than <see cref="EducationSettings.MinGroupSize"/> distinct subjects
/// yields nothing. Subject keys live only as keys of the open window's map and are dropped when it
/// closes; signals carry group figures only, no track ids. Telemetry for zones that are not
/// classroom zones of the camera is ignored.
/// </remarks>
public sealed class ClassroomRule(EducationSettings settings) : IRule
{
    private readonly long _windowTicks = settings.WindowSeconds * TimeSpan.TicksPerSecond;
    private readonly long _distressTicks = settings.DistressSeconds * TimeSpan.TicksPerSecond;
    private readonly int _minGroupSize = settings.MinGroupSize;
    private readonly double _lowEngagement = settings.LowEngagementThreshold;
    private readonly double _distressValence = settings.DistressValenceThreshold;
    private readonly int _distressMinSubjects = settings.DistressMinSubjects;
    private readonly Dictionary<(string OrgId, string CameraId), Dictionary<string, ClassWindow>> _cameras = [];
    private readonly Stack<SubjectWindow> _spareSubjects = new();

    public IReadOnlySet<string> ObservationTypes { get; } = new HashSet<string>([EventTypes.AffectTelemetry], StringComparer.Ordinal);

    public void Observe(Observation observation, RuleContext context, ISignalSink sink)
    {
        if (observation is not AffectTelemetry sample)
        {
            return;
        }

        var zoneIndex = context.IndexOf(sample.ZoneId);
        if (zoneIndex < 0 || context.Zones[zoneIndex].Kind != ZoneKind.Classroom)
        {
            return;
        }

        if (!_cameras.TryGetValue((context.OrgId, context.CameraId), out var windows))
        {
            _cameras[(context.OrgId, context.CameraId)] = windows = new Dictionary<string, ClassWindow>(StringComparer.Ordinal);
        }

        var ticks = sample.OccurredAt.UtcTicks;

        // The camera's clock is its newest sample: windows of zones that went quiet close with it.
        CloseEnded(windows, ticks, sink);
        var start = ticks - (ticks % _windowTicks);
        if (!windows.TryGetValue(sample.ZoneId, out var window))
        {
            windows[sample.ZoneId] = window = new ClassWindow(context, context.Zones[zoneIndex]);
            window.StartTicks = start;
        }
        else if (start < window.ClosedUntilTicks || start < window.StartTicks)
        {
            // Its window already closed; counting it now would change a published figure.
            return;
        }
        else if (window.Subjects.Count == 0)
        {
            window.StartTicks = start;
        }

        window.Context = context;
        window.SiteId = sample.SiteId;
        if (!window.Subjects.TryGetValue(sample.SubjectKey, out var subject))
        {
            subject = _spareSubjects.Count > 0 ? _spareSubjects.Pop() : new SubjectWindow();
            subject.Reset();
            window.Subjects[sample.SubjectKey] = subject;
        }

        subject.Add(ticks, sample, _distressValence);
        window.Samples++;
        window.ConfidenceSum += sample.Confidence;
    }

    public void Advance(DateTimeOffset eventTime, ISignalSink sink, string? orgId = null)
    {
        foreach (var ((cameraOrgId, _), windows) in _cameras)
        {
            if (orgId is null || cameraOrgId == orgId)
            {
                CloseEnded(windows, eventTime.UtcTicks, sink);
            }
        }
    }

    public IReadOnlyDictionary<string, DateTimeOffset> OpenStateSince()
    {
        var result = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var ((orgId, cameraId), windows) in _cameras)
        {
            foreach (var window in windows.Values)
            {
                if (window.Subjects.Count == 0)
                {
                    continue;
                }

                var since = new DateTimeOffset(window.StartTicks, TimeSpan.Zero);
                var key = CameraKey.Of(orgId, cameraId);
                if (!result.TryGetValue(key, out var known) || since < known)
                {
                    result[key] = since;
                }
            }
        }

        return result;
    }

    private void CloseEnded(Dictionary<string, ClassWindow> windows, long nowTicks, ISignalSink sink)
    {
        foreach (var window in windows.Values)
        {
            if (window.Subjects.Count > 0 && nowTicks >= window.StartTicks + _windowTicks)
            {
                Close(window, sink);
            }
        }
    }

    private void Close(ClassWindow window, ISignalSink sink)
    {
        var subjects = window.Subjects.Count;
        if (subjects >= _minGroupSize)
        {
            var engagement = 0.0;
            var distressed = 0;
            foreach (var subject in window.Subjects.Values)
            {
                engagement += subject.EngagementSum / subject.Samples;
                distressed += subject.LongestDistressTicks >= _distressTicks ? 1 : 0;
            }

            engagement /= subjects;
            var confidence = window.ConfidenceSum / window.Samples;
            if (engagement < _lowEngagement)
            {
                sink.Emit(Aggregate(window, Signals.Kinds.LowEngagement, Severity.Low, confidence, new Dictionary<string, double>
                {
                    ["meanEngagement"] = engagement,
                    ["subjectCount"] = subjects,
                    ["windowSeconds"] = Signals.Seconds(_windowTicks),
                }, $"Class engagement {engagement:0.00} below {_lowEngagement:0.00} among {subjects} students."));
            }

            if (distressed >= _distressMinSubjects)
            {
                sink.Emit(Aggregate(window, Signals.Kinds.Distress, Severity.Medium, confidence, new Dictionary<string, double>
                {
                    ["distressedSubjects"] = distressed,
                    ["subjectCount"] = subjects,
                    ["windowSeconds"] = Signals.Seconds(_windowTicks),
                }, $"{distressed} of {subjects} students showed sustained distress."));
            }
        }

        foreach (var subject in window.Subjects.Values)
        {
            _spareSubjects.Push(subject);
        }

        window.Subjects.Clear();
        window.ClosedUntilTicks = window.StartTicks + _windowTicks;
        window.Samples = 0;
        window.ConfidenceSum = 0;
    }

    private Signal Aggregate(ClassWindow window, string kind, Severity severity, double confidence, Dictionary<string, double> measurements, string summary) =>
        Signals.Create(
            window.Context,
            window.SiteId,
            Domain.Education,
            kind,
            severity,
            confidence,
            window.Zone.ZoneId,
            window.Zone.ZoneId,
            [],
            window.StartTicks,
            window.StartTicks + _windowTicks,
            measurements,
            summary);

    private sealed class ClassWindow(RuleContext context, ZoneShape zone)
    {
        public RuleContext Context { get; set; } = context;

        public ZoneShape Zone { get; } = zone;

        public string SiteId { get; set; } = string.Empty;

        public long StartTicks { get; set; }

        /// <summary>End of the last closed window; older samples are too late.</summary>
        public long ClosedUntilTicks { get; set; }

        public int Samples { get; set; }

        public double ConfidenceSum { get; set; }

        // Keys are the ephemeral subject slots; they never leave this map.
        public Dictionary<string, SubjectWindow> Subjects { get; } = new(StringComparer.Ordinal);
    }

    private sealed class SubjectWindow
    {
        private long _distressStartTicks;
        private bool _inDistress;

        public double EngagementSum { get; private set; }

        public int Samples { get; private set; }

        public long LongestDistressTicks { get; private set; }

        public void Reset()
        {
            EngagementSum = 0;
            Samples = 0;
            LongestDistressTicks = 0;
            _inDistress = false;
        }

        public void Add(long ticks, AffectTelemetry sample, double distressValence)
        {
            EngagementSum += sample.Engagement;
            Samples++;
            if (sample.Valence < distressValence)
            {
                if (!_inDistress)
                {
                    _inDistress = true;
                    _distressStartTicks = ticks;
                }

                LongestDistressTicks = Math.Max(LongestDistressTicks, ticks - _distressStartTicks);
            }
            else
            {
                _inDistress = false;
            }
        }
    }
}
