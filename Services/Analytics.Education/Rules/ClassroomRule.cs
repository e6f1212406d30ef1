using Analytics.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Education.Rules;

/// <summary>
/// Windowed aggregates of affect telemetry per classroom zone: low engagement of the class, and
/// distress when enough subjects stay below the valence threshold long enough. Windows are
/// aligned to multiples of <see cref="EducationSettings.WindowSeconds"/> since the Unix epoch, so
/// a replay cuts the same windows, and a window closes when its camera's clock passes its end.
/// </summary>
/// <remarks>
/// One signal per episode: a condition that holds in consecutive windows is one episode, signalled
/// when its first window closes; a window in which it does not hold (too few subjects included)
/// ends the episode. An open episode is open state, so a restart replays from its start and knows
/// not to signal its later windows again.
/// <para>
/// Privacy: a window with fewer than <see cref="EducationSettings.MinGroupSize"/> distinct subjects
/// yields nothing. Subject keys (pseudonyms by the time they reach the log) live only as keys of
/// the open window's map and are dropped when it closes; signals carry group figures only, no
/// track ids. Telemetry for zones that run neither rule is ignored.
/// </para>
/// </remarks>
public sealed class ClassroomRule(EducationSettings settings) : IRule
{
    private readonly long _windowTicks = settings.WindowSeconds * TimeSpan.TicksPerSecond;
    private readonly long _distressTicks = settings.DistressSeconds * TimeSpan.TicksPerSecond;
    private readonly int _minGroupSize = settings.MinGroupSize;
    private readonly double _lowEngagement = settings.LowEngagementThreshold;
    private readonly double _distressValence = settings.DistressValenceThreshold;
    private readonly int _distressMinSubjects = settings.DistressMinSubjects;
    private readonly Dictionary<(string OrgId, string CameraId), ClassCamera> _cameras = [];
    private readonly Stack<SubjectWindow> _spareSubjects = new();

    public IReadOnlySet<string> ObservationTypes { get; } = new HashSet<string>([EventTypes.AffectTelemetry], StringComparer.Ordinal);

    public void Observe(Observation observation, RuleContext context, ISignalSink sink)
    {
        if (observation is not AffectTelemetry sample)
        {
            return;
        }

        var zoneIndex = context.IndexOf(sample.ZoneId);
        if (zoneIndex < 0 || !(context.Zones[zoneIndex].Runs(RuleCatalog.LowEngagement) || context.Zones[zoneIndex].Runs(RuleCatalog.Distress)))
        {
            return;
        }

        if (!_cameras.TryGetValue((context.OrgId, context.CameraId), out var camera))
        {
            _cameras[(context.OrgId, context.CameraId)] = camera = new ClassCamera();
        }

        if (!camera.Rooms.TryGetValue(sample.ZoneId, out var room))
        {
            camera.Rooms[sample.ZoneId] = room = new ClassRoom();
        }

        var ticks = sample.OccurredAt.UtcTicks;
        var start = ticks - (ticks % _windowTicks);
        if (start < room.ClosedUntilTicks)
        {
            // Its window already closed (the engine lets only samples within the allowed lateness
            // through, so this is a sample older than the camera's last close); counting it now
            // would change a published figure.
            return;
        }

        ClassWindow? window = null;
        foreach (var open in room.Open)
        {
            if (open.StartTicks == start)
            {
                window = open;
                break;
            }
        }

        if (window is null)
        {
            window = new ClassWindow { StartTicks = start };
            room.Open.Add(window);
            room.Open.Sort(static (a, b) => a.StartTicks.CompareTo(b.StartTicks));
        }

        window.Context = context;
        window.Zone = context.Zones[zoneIndex];
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

    public void Advance(RuleContext context, DateTimeOffset watermark, ISignalSink sink)
    {
        if (_cameras.TryGetValue((context.OrgId, context.CameraId), out var camera))
        {
            camera.WatermarkTicks = Math.Max(camera.WatermarkTicks, watermark.UtcTicks);
            CloseEnded(camera, camera.WatermarkTicks, sink);
        }
    }

    public void Close(RuleContext context, DateTimeOffset lastObserved, ISignalSink sink)
    {
        if (_cameras.Remove((context.OrgId, context.CameraId), out var camera))
        {
            // Every window the camera has open ends; its last one with whatever it had.
            CloseEnded(camera, long.MaxValue, sink);
        }
    }

    public IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> OpenStateSince()
    {
        var result = new Dictionary<(string OrgId, string CameraId), DateTimeOffset>();
        foreach (var (key, camera) in _cameras)
        {
            var oldest = long.MaxValue;
            foreach (var room in camera.Rooms.Values)
            {
                foreach (var window in room.Open)
                {
                    oldest = Math.Min(oldest, window.StartTicks);
                }

                oldest = Math.Min(oldest, OpenEpisodeStart(room.LowEngagement, camera.WatermarkTicks));
                oldest = Math.Min(oldest, OpenEpisodeStart(room.Distress, camera.WatermarkTicks));
            }

            if (oldest != long.MaxValue)
            {
                result[key] = new DateTimeOffset(oldest, TimeSpan.Zero);
            }
        }

        return result;
    }

    // An episode can still go on while the window after its last one has not closed.
    private long OpenEpisodeStart(Episode episode, long watermarkTicks) =>
        episode.IsActive && watermarkTicks < episode.LastWindowStartTicks + (2 * _windowTicks) ? episode.StartTicks : long.MaxValue;

    private void CloseEnded(ClassCamera camera, long nowTicks, ISignalSink sink)
    {
        foreach (var room in camera.Rooms.Values)
        {
            while (room.Open.Count > 0 && nowTicks >= room.Open[0].StartTicks + _windowTicks)
            {
                var window = room.Open[0];
                room.Open.RemoveAt(0);
                Close(room, window, sink);
            }
        }
    }

    private void Close(ClassRoom room, ClassWindow window, ISignalSink sink)
    {
        var subjects = window.Subjects.Count;
        var engagement = 0.0;
        var distressed = 0;
        if (subjects < _minGroupSize)
        {
            room.LowEngagement.Record(false, window.StartTicks, _windowTicks);
            room.Distress.Record(false, window.StartTicks, _windowTicks);
        }
        else
        {
            foreach (var subject in window.Subjects.Values)
            {
                engagement += subject.EngagementSum / subject.Samples;
                distressed += subject.LongestDistressTicks >= _distressTicks ? 1 : 0;
            }

            engagement /= subjects;
            var threshold = window.Zone.Thresholds?.LowEngagementThreshold ?? _lowEngagement;
            var low = engagement < threshold && window.Zone.Runs(RuleCatalog.LowEngagement);
            var distress = distressed >= _distressMinSubjects && window.Zone.Runs(RuleCatalog.Distress);
            var confidence = window.ConfidenceSum / window.Samples;
            if (room.LowEngagement.Record(low, window.StartTicks, _windowTicks))
            {
                sink.Emit(Aggregate(window, RuleCatalog.LowEngagement, Severity.Low, confidence, new Dictionary<string, double>
                {
                    ["meanEngagement"] = engagement,
                    ["subjectCount"] = subjects,
                    ["windowSeconds"] = Signals.Seconds(_windowTicks),
                }, $"Class engagement {engagement:0.00} below {threshold:0.00} among {subjects} students."));
            }

            if (room.Distress.Record(distress, window.StartTicks, _windowTicks))
            {
                sink.Emit(Aggregate(window, RuleCatalog.Distress, Severity.Medium, confidence, new Dictionary<string, double>
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
        room.ClosedUntilTicks = window.StartTicks + _windowTicks;
    }

    private Signal Aggregate(ClassWindow window, RuleDescriptor rule, Severity severity, double confidence, Dictionary<string, double> measurements, string summary) =>
        Signals.Create(
            window.Context,
            window.SiteId,
            rule,
            severity,
            confidence,
            window.Zone.ZoneId,
            window.Zone.ZoneId,
            [],
            window.StartTicks,
            window.StartTicks + _windowTicks,
            measurements,
            summary);

    private sealed class ClassCamera
    {
        public Dictionary<string, ClassRoom> Rooms { get; } = new(StringComparer.Ordinal);

        /// <summary>The camera's clock as the engine last advanced it.</summary>
        public long WatermarkTicks { get; set; }
    }

    /// <summary>One classroom zone: its open windows, oldest first, and its episodes.</summary>
    private sealed class ClassRoom
    {
        public List<ClassWindow> Open { get; } = [];

        /// <summary>End of the last closed window; older samples are too late.</summary>
        public long ClosedUntilTicks { get; set; }

        public Episode LowEngagement { get; } = new();

        public Episode Distress { get; } = new();
    }

    /// <summary>A run of consecutive windows in which one condition held.</summary>
    private sealed class Episode
    {
        public bool IsActive { get; private set; }

        public long StartTicks { get; private set; }

        public long LastWindowStartTicks { get; private set; }

        /// <summary>Records a closed window; returns whether it starts a new episode, which is then signalled.</summary>
        public bool Record(bool holds, long windowStartTicks, long windowTicks)
        {
            if (!holds)
            {
                IsActive = false;
                return false;
            }

            var begins = !IsActive || windowStartTicks != LastWindowStartTicks + windowTicks;
            if (begins)
            {
                IsActive = true;
                StartTicks = windowStartTicks;
            }

            LastWindowStartTicks = windowStartTicks;
            return begins;
        }
    }

    private sealed class ClassWindow
    {
        public RuleContext Context { get; set; } = null!;

        public ZoneShape Zone { get; set; } = null!;

        public string SiteId { get; set; } = string.Empty;

        public long StartTicks { get; init; }

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
