using Analytics.Antitheft;
using Analytics.Antitheft.Rules;
using Analytics.Rules;
using Analytics.Safety;
using Analytics.Safety.Rules;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Rules;

/// <summary>
/// A zone runs the rules it lists, or the defaults of its kind: the same crowd that stands in a
/// work area is crowding there and not loitering, while at a shelf it is loitering too; a list
/// overrides the kind, and per-zone thresholds replace the settings.
/// </summary>
public sealed class RulesPerZoneTests
{
    private static readonly AntitheftSettings _antitheft = new() { LoiteringSeconds = 60 };
    private static readonly SafetySettings _safety = new() { CrowdingCount = 4, CrowdingSeconds = 10 };

    /// <summary>Five people stand 90 s in one zone of the given kind and rules.</summary>
    private static Scene Crowd(ZoneKind kind, IReadOnlyList<string>? rules = null, ZoneThresholds? thresholds = null)
    {
        var scene = new Scene();
        scene.Zone("zone-1", kind, 0.1, 0.4, 0.9, 0.95, rules: rules, thresholds: thresholds);

        for (var i = 0; i < 5; i++)
        {
            scene.Person($"person-{i}", 0.2 + (i * 0.12), 0.8).Stay(90);
        }

        return scene;
    }

    private static List<string> Run(Scene scene)
    {
        var rules = new RuleSet([AntitheftRules.Create(_antitheft), SafetyRules.Create(_safety)]);
        return [.. scene.Run(rules).Select(s => s.Kind).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void A_crowd_in_a_work_area_is_crowding_and_not_loitering()
    {
        Assert.Equal([RuleCatalog.Crowding.Name], Run(Crowd(ZoneKind.WorkArea)));
    }

    [Fact]
    public void The_same_crowd_at_a_shelf_is_crowding_and_each_person_loiters()
    {
        Assert.Equal(
            [RuleCatalog.Crowding.Name, .. Enumerable.Repeat(RuleCatalog.Loitering.Name, 5)],
            Run(Crowd(ZoneKind.Shelf)));
    }

    [Fact]
    public void A_zone_that_lists_its_rules_runs_those_and_no_defaults_of_its_kind()
    {
        Assert.Equal(Enumerable.Repeat(RuleCatalog.Loitering.Name, 5), Run(Crowd(ZoneKind.WorkArea, rules: [RuleCatalog.Loitering.Name])));
        Assert.Empty(Run(Crowd(ZoneKind.Shelf, rules: [])));
    }

    [Fact]
    public void Per_zone_thresholds_replace_the_settings_in_that_zone()
    {
        // Five people: not a crowd where six are needed, and 90 s is not loitering where 100 s are.
        Assert.Empty(Run(Crowd(ZoneKind.Shelf, thresholds: new ZoneThresholds { CrowdingCount = 6, LoiteringSeconds = 100 })));
        Assert.Equal([RuleCatalog.Crowding.Name], Run(Crowd(ZoneKind.Shelf, thresholds: new ZoneThresholds { CrowdingCount = 5, LoiteringSeconds = 100 })));
    }

    [Fact]
    public void The_catalog_indexes_its_rules_in_order_and_the_defaults_by_kind_are_the_documented_ones()
    {
        Assert.Equal(Enumerable.Range(0, RuleCatalog.All.Count), RuleCatalog.All.Select(r => r.Index));
        string Defaults(ZoneKind kind) => string.Join(",", RuleCatalog.All.Where(r => r.DefaultZoneKinds.Contains(kind)).Select(r => r.Name));
        Assert.Equal("loitering,product_removal,crowding", Defaults(ZoneKind.Shelf));
        Assert.Equal("loitering,product_removal,crowding", Defaults(ZoneKind.Exit));
        Assert.Equal("product_removal,crowding", Defaults(ZoneKind.Checkout));
        Assert.Equal("intrusion,crowding", Defaults(ZoneKind.Restricted));
        Assert.Equal("crowding,missing_ppe", Defaults(ZoneKind.WorkArea));
        Assert.Equal("low_engagement,distress", Defaults(ZoneKind.Classroom));
    }

    [Theory]
    [InlineData("loiter", "$.rules[0]", "must be one of the zone rules loitering, intrusion, product_removal, crowding, missing_ppe, low_engagement, distress, was 'loiter'")]
    [InlineData("fall", "$.rules[0]", "must be one of the zone rules")]
    [InlineData("product_removal", "$.rules[0]", "product_removal takes its role from a shelf, checkout or exit zone; this zone is a workArea")]
    public void A_zone_naming_an_unknown_or_misplaced_rule_is_refused_at_its_path(string rule, string path, string message)
    {
        var zone = new Scene().Zone("zone-1", ZoneKind.WorkArea, 0.1, 0.1, 0.5, 0.5) with { Rules = [rule] };

        var problem = Assert.Single(ContractValidator.Validate(zone, DateTimeOffset.UtcNow));

        Assert.Equal(path, problem.Path);
        Assert.StartsWith(message, problem.Message, StringComparison.Ordinal);
    }
}
