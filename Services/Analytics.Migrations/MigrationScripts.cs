using System.Reflection;

namespace Analytics.Migrations;

/// <summary>The ordered SQL scripts embedded in this assembly; their names order them.</summary>
public static class MigrationScripts
{
    public const string JournalSchema = "public";
    public const string JournalTable = "schema_versions";

    public static Assembly Assembly => typeof(MigrationScripts).Assembly;

    /// <summary>Names as DbUp records them in the journal.</summary>
    public static IReadOnlyList<string> Names { get; } = Assembly.GetManifestResourceNames()
        .Where(n => n.EndsWith(".sql", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToArray();
}
