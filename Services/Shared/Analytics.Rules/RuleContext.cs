using Analytics.Schemas.Contracts;

namespace Analytics.Rules;

/// <summary>
/// What a rule needs to know about the camera of an observation: its organization and zones.
/// Build one per camera and zone version (see <see cref="ZoneCatalog"/>) and pass the same
/// instance with every observation: rules notice a new zone set by reference and remap their state.
/// </summary>
public sealed class RuleContext
{
    public RuleContext(string orgId, string cameraId, IEnumerable<Zone> zones)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orgId);
        ArgumentException.ThrowIfNullOrWhiteSpace(cameraId);
        OrgId = orgId;
        CameraId = cameraId;
        var compiled = new List<ZoneShape>();
        foreach (var zone in zones)
        {
            if (string.Equals(zone.OrgId, orgId, StringComparison.Ordinal) && string.Equals(zone.CameraId, cameraId, StringComparison.Ordinal))
            {
                compiled.Add(new ZoneShape(zone, compiled.Count));
            }
        }

        Zones = [.. compiled];
    }

    public string OrgId { get; }

    public string CameraId { get; }

    /// <summary>The camera's zones; <see cref="ZoneShape.Index"/> is the position in this array.</summary>
    public ZoneShape[] Zones { get; }

    /// <summary>The index of the zone with <paramref name="zoneId"/>, or -1.</summary>
    public int IndexOf(string zoneId)
    {
        for (var i = 0; i < Zones.Length; i++)
        {
            if (string.Equals(Zones[i].ZoneId, zoneId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>A zone prepared for containment tests on the hot path: flat coordinates and a bounding box.</summary>
public sealed class ZoneShape
{
    private readonly double[] _xs;
    private readonly double[] _ys;
    private readonly double _minX;
    private readonly double _maxX;
    private readonly double _minY;
    private readonly double _maxY;
    private readonly TimeZoneInfo? _scheduleZone;
    private readonly ulong _rules;

    public ZoneShape(Zone zone, int index)
    {
        Zone = zone;
        Index = index;
        foreach (var rule in RuleCatalog.All)
        {
            if (RuleCatalog.RunsIn(rule, zone))
            {
                _rules |= 1UL << rule.Index;
            }
        }

        var count = zone.Polygon.Count;
        _xs = new double[count];
        _ys = new double[count];
        _minX = _minY = double.MaxValue;
        _maxX = _maxY = double.MinValue;
        for (var i = 0; i < count; i++)
        {
            _xs[i] = zone.Polygon[i].X;
            _ys[i] = zone.Polygon[i].Y;
            _minX = Math.Min(_minX, _xs[i]);
            _maxX = Math.Max(_maxX, _xs[i]);
            _minY = Math.Min(_minY, _ys[i]);
            _maxY = Math.Max(_maxY, _ys[i]);
        }

        if (zone.Schedule is { } schedule)
        {
            _scheduleZone = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);
        }
    }

    public Zone Zone { get; }

    public int Index { get; }

    public string ZoneId => Zone.ZoneId;

    public ZoneKind Kind => Zone.Kind;

    /// <summary>The zone's own thresholds, or null where the service's settings apply.</summary>
    public ZoneThresholds? Thresholds => Zone.Thresholds;

    /// <summary>Whether <paramref name="rule"/> runs in this zone (its list, or its kind's defaults); one bit test on the hot path.</summary>
    public bool Runs(RuleDescriptor rule) => (_rules & (1UL << rule.Index)) != 0;

    /// <summary>Whether the point lies in the zone; the bounding box rejects most points before the polygon test.</summary>
    public bool Contains(double x, double y) =>
        x >= _minX && x <= _maxX && y >= _minY && y <= _maxY && PolygonGeometry.Contains(_xs, _ys, x, y);

    /// <summary>Whether the zone is in normal use at <paramref name="instant"/>; always true without a schedule.</summary>
    public bool IsInUse(DateTimeOffset instant) =>
        Zone.Schedule is not { } schedule || schedule.IsActive(instant, _scheduleZone!);
}

/// <summary>
/// Every zone of a consumer's organizations, with one cached <see cref="RuleContext"/> per camera.
/// Replace the whole catalog when zones change; rules then remap their state once per camera.
/// </summary>
public sealed class ZoneCatalog
{
    private readonly Dictionary<string, Dictionary<string, List<Zone>>> _zonesByOrg = new(StringComparer.Ordinal);
    private readonly Dictionary<(string OrgId, string CameraId), RuleContext> _contexts = [];

    public ZoneCatalog(IEnumerable<Zone> zones)
    {
        foreach (var zone in zones)
        {
            if (!_zonesByOrg.TryGetValue(zone.OrgId, out var cameras))
            {
                _zonesByOrg[zone.OrgId] = cameras = new Dictionary<string, List<Zone>>(StringComparer.Ordinal);
            }

            if (!cameras.TryGetValue(zone.CameraId, out var list))
            {
                cameras[zone.CameraId] = list = [];
            }

            list.Add(zone);
        }
    }

    /// <summary>The context of one camera, created on first use and reused afterwards.</summary>
    public RuleContext For(string orgId, string cameraId)
    {
        if (_contexts.TryGetValue((orgId, cameraId), out var context))
        {
            return context;
        }

        IEnumerable<Zone> zones = _zonesByOrg.TryGetValue(orgId, out var cameras) && cameras.TryGetValue(cameraId, out var list) ? list : [];
        context = new RuleContext(orgId, cameraId, zones);
        _contexts[(orgId, cameraId)] = context;
        return context;
    }
}
