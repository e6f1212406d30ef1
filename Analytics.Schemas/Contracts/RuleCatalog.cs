namespace Analytics.Schemas.Contracts;

/// <summary>
/// One rule of the platform: the signal kind it emits (which is also its name in a zone's rule
/// list), the service that runs it, and the zone kinds it runs in when a zone lists no rules.
/// </summary>
/// <param name="Name">The signal kind, e.g. <c>loitering</c>.</param>
/// <param name="Domain">The service (domain) that runs it.</param>
/// <param name="DefaultZoneKinds">
/// Zone kinds it runs in when a zone names no rules; empty for rules that watch the whole image
/// (a fall or a runner counts wherever it happens), which no zone list turns on or off.
/// </param>
/// <param name="Episode">When it signals, and when the same condition signals again (the README's table of rules).</param>
public sealed record RuleDescriptor(string Name, Domain Domain, IReadOnlyList<ZoneKind> DefaultZoneKinds, string Episode)
{
    /// <summary>Position in <see cref="RuleCatalog.All"/> (a test checks it); rules test it as one bit of a zone's mask.</summary>
    public int Index { get; internal init; }

    /// <summary>Whether a zone's rule list decides where it runs.</summary>
    public bool IsZoneRule => DefaultZoneKinds.Count > 0;
}

/// <summary>
/// Every rule the platform runs. The rule classes take their signal kind from here, zones name
/// rules from here (an unknown name is refused, naming these), and silences name signal kinds
/// from here, so the three cannot drift apart.
/// </summary>
public static class RuleCatalog
{
    public static readonly RuleDescriptor Loitering = new(
        "loitering", Domain.Antitheft, [ZoneKind.Shelf, ZoneKind.Exit],
        "once per presence of a person in the zone, when the dwell reaches the threshold; an absence longer than the exit grace ends the presence") { Index = 0 };

    public static readonly RuleDescriptor Intrusion = new(
        "intrusion", Domain.Antitheft, [ZoneKind.Restricted],
        "once per presence of a person in the zone (outside the zone's schedule, if it has one); an absence longer than the exit grace ends it") { Index = 1 };

    public static readonly RuleDescriptor ProductRemoval = new(
        "product_removal", Domain.Antitheft, [ZoneKind.Shelf, ZoneKind.Checkout, ZoneKind.Exit],
        "once per carrier reaching an exit zone with products taken from a shelf zone and not paid for at a checkout zone") { Index = 2 };

    public static readonly RuleDescriptor Crowding = new(
        "crowding", Domain.Safety, [ZoneKind.Shelf, ZoneKind.Exit, ZoneKind.Checkout, ZoneKind.Restricted, ZoneKind.WorkArea],
        "once per crowd episode of the zone; the episode ends when the count stays below the threshold for longer than the exit grace") { Index = 3 };

    public static readonly RuleDescriptor MissingPpe = new(
        "missing_ppe", Domain.Safety, [ZoneKind.WorkArea],
        "once per episode of a person without helmet or vest in the zone; misses shorter than the exit grace do not end it") { Index = 4 };

    public static readonly RuleDescriptor Fall = new(
        "fall", Domain.Safety, [],
        "once per time a person lies down; getting up for longer than the exit grace ends it") { Index = 5 };

    public static readonly RuleDescriptor Running = new(
        "running", Domain.Safety, [],
        "once per running episode of a person; slower than the threshold for longer than the exit grace ends it") { Index = 6 };

    public static readonly RuleDescriptor LowEngagement = new(
        "low_engagement", Domain.Education, [ZoneKind.Classroom],
        "once per episode, at the end of its first low window; consecutive low windows belong to it; a window that is not low (or has too few subjects) ends it") { Index = 7 };

    public static readonly RuleDescriptor Distress = new(
        "distress", Domain.Education, [ZoneKind.Classroom],
        "once per episode, at the end of its first window with enough distressed subjects; consecutive such windows belong to it; any other window ends it") { Index = 8 };

    /// <summary>Every rule, in a fixed order.</summary>
    public static IReadOnlyList<RuleDescriptor> All { get; } =
        [Loitering, Intrusion, ProductRemoval, Crowding, MissingPpe, Fall, Running, LowEngagement, Distress];

    /// <summary>The rules a zone's rule list may name.</summary>
    public static IReadOnlyList<RuleDescriptor> ZoneRules { get; } = [.. All.Where(rule => rule.IsZoneRule)];

    /// <summary>Every signal kind a rule emits.</summary>
    public static IReadOnlyList<string> SignalKinds { get; } = [.. All.Select(rule => rule.Name)];

    /// <summary>The rule named <paramref name="name"/>, or null.</summary>
    public static RuleDescriptor? Find(string? name) => All.FirstOrDefault(rule => string.Equals(rule.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// Whether <paramref name="rule"/> runs in <paramref name="zone"/>: the zone's own list when it
    /// has one, otherwise the defaults of its kind.
    /// </summary>
    public static bool RunsIn(RuleDescriptor rule, Zone zone) =>
        zone.Rules is { } listed ? listed.Contains(rule.Name, StringComparer.Ordinal) : rule.DefaultZoneKinds.Contains(zone.Kind);
}
