namespace Analytics.Rules;

/// <summary>Lookups over a camera's zones that rules need when they build a signal.</summary>
public static class Zones
{
    /// <summary>The first zone of the camera containing the point, or null.</summary>
    public static ZoneShape? FirstContaining(RuleContext context, double x, double y)
    {
        foreach (var zone in context.Zones)
        {
            if (zone.Contains(x, y))
            {
                return zone;
            }
        }

        return null;
    }
}

/// <summary>Attribute flags of a track update, checked without allocating.</summary>
public static class Attributes
{
    public static bool Has(IReadOnlyList<string> attributes, string name)
    {
        // Indexing instead of foreach: enumerating through the interface would box an enumerator.
        for (var i = 0; i < attributes.Count; i++)
        {
            if (string.Equals(attributes[i], name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
