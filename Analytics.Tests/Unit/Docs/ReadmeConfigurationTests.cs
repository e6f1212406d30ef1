using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Analytics.Schemas.Settings;

namespace Analytics.Tests.Docs;

/// <summary>
/// The README's configuration reference is the settings classes, rendered: every key, its default,
/// what values it accepts and what it does (from the property's doc comment). A settings change
/// without a README change fails here.
/// </summary>
public sealed class ReadmeConfigurationTests
{
    private const string Begin = "<!-- settings:begin -->";
    private const string End = "<!-- settings:end -->";
    private const string UpdateVariable = "ANALYTICS_UPDATE_README";

    [Fact]
    public void Readme_configuration_table_lists_every_settings_key_as_the_classes_define_it()
    {
        var readmePath = Path.Combine(RepositoryPaths.Root, "README.md");
        var readme = File.ReadAllText(readmePath);
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"README.md must hold the markers {Begin} and {End}");

        var expected = "\n" + RenderTable() + "\n";
        var actual = readme[(start + Begin.Length)..end];
        if (actual == expected)
        {
            return;
        }
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(readmePath, readme[..(start + Begin.Length)] + expected + readme[end..]);
            return;
        }
        Assert.Fail($"README.md's configuration table is stale. Regenerate it with: {UpdateVariable}=1 dotnet test --filter FullyQualifiedName~ReadmeConfigurationTests\n\nExpected:\n{expected}");
    }

    [Fact]
    public void Table_covers_known_keys_with_their_ranges()
    {
        var table = RenderTable();
        Assert.Contains("| `Antitheft:LoiteringSeconds` | 120 | 1 to 3600 |", table, StringComparison.Ordinal);
        Assert.Contains("| `Notifier:Smtp:Port` | 25 | 1 to 65535 |", table, StringComparison.Ordinal);
        Assert.Contains("| `Supabase:ConnectionString` |", table, StringComparison.Ordinal);
    }

    /// <summary>
    /// A settings class in a project this test project does not reference would be left out of the
    /// table without a word; every source file that declares a section must have its class scanned.
    /// </summary>
    [Fact]
    public void Every_settings_class_of_the_source_is_scanned()
    {
        var scanned = SolutionAssemblies().SelectMany(assembly => assembly.GetTypes())
            .Where(t => t.GetField("SectionName") is { IsLiteral: true })
            .Select(t => t.Name)
            .ToHashSet(StringComparer.Ordinal);
        var declared = new[] { "Analytics.Schemas", "Analytics.ServiceDefaults", "Services" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && File.ReadAllText(file).Contains("const string SectionName", StringComparison.Ordinal))
            .Select(Path.GetFileNameWithoutExtension)
            .ToList();

        Assert.NotEmpty(declared);
        Assert.All(declared, name => Assert.Contains(name!, scanned));
    }

    [Fact]
    public void Every_setting_says_what_it_does()
    {
        var undocumented = RenderTable().Split('\n').Where(row => row.EndsWith("|  |", StringComparison.Ordinal)).ToList();
        Assert.True(undocumented.Count == 0, "Give these settings a <summary>: " + string.Join(", ", undocumented));
    }

    private static string RenderTable()
    {
        var docs = new Docs();
        var rows = new StringBuilder()
            .Append("| Key | Default | Accepts | What it does |\n")
            .Append("|---|---|---|---|\n");
        var sections = SolutionAssemblies()
            .SelectMany(assembly => assembly.GetTypes())
            .Where(t => t.IsClass && t.GetField("SectionName") is { IsLiteral: true })
            .Select(t => (Type: t, Section: (string)t.GetField("SectionName")!.GetRawConstantValue()!))
            .Where(s => !s.Section.Contains(':', StringComparison.Ordinal)) // nested sections are reached through their parent
            .OrderBy(s => s.Section, StringComparer.Ordinal);
        foreach (var (type, section) in sections)
        {
            AppendRows(rows, type, Activator.CreateInstance(type)!, section, docs);
        }
        return rows.ToString().TrimEnd('\n');
    }

    /// <summary>
    /// The solution's projects this test project references (the project entries of its deps.json),
    /// loaded. Settings classes live beside the service or library they configure, so every one is
    /// scanned, including those no test happens to load.
    /// </summary>
    private static List<Assembly> SolutionAssemblies()
    {
        var self = typeof(ReadmeConfigurationTests).Assembly.GetName().Name!;
        var depsPath = Path.Combine(AppContext.BaseDirectory, self + ".deps.json");
        using var deps = JsonDocument.Parse(File.ReadAllText(depsPath));
        return deps.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(library => library.Value.GetProperty("type").GetString() == "project")
            .Select(library => library.Name.Split('/')[0])
            .Where(name => name.StartsWith("Analytics.", StringComparison.Ordinal) && name != self && !name.EndsWith(".Tests", StringComparison.Ordinal))
            .Select(name => Assembly.Load(new AssemblyName(name)))
            .ToList();
    }

    private static void AppendRows(StringBuilder rows, Type type, object defaults, string path, Docs docs)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = $"{path}:{property.Name}";
            var value = property.GetValue(defaults);
            if (property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var valueType = property.PropertyType.GetGenericArguments()[1].Name.ToLowerInvariant();
                rows.Append(CultureInfo.InvariantCulture, $"| `{key}:<name>` | (none) | a {valueType} per name | {docs.Summary(type, property)} |\n");
                continue;
            }
            if (value is System.Collections.IEnumerable and not string)
            {
                var element = property.PropertyType.GetGenericArguments().Single();
                var fields = string.Join(", ", element.GetProperties().Where(p => p.CanWrite).Select(p => p.Name));
                var listDoc = docs.Summary(type, property);
                rows.Append(CultureInfo.InvariantCulture, $"| `{key}:N:*` | (none) | a list of {{{fields}}} | {listDoc} |\n");
                continue;
            }
            if (value is not null && property.PropertyType.IsClass && property.PropertyType != typeof(string))
            {
                AppendRows(rows, property.PropertyType, value, key, docs);
                continue;
            }
            var doc = docs.Summary(type, property);
            rows.Append(CultureInfo.InvariantCulture, $"| `{key}` | {Default(value)} | {Accepts(property)} | {doc} |\n");
        }
    }

    private static string Default(object? value) => value switch
    {
        null => "(none)",
        string { Length: 0 } => "(empty)",
        string s => $"`{s}`",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Accepts(PropertyInfo property)
    {
        var parts = new List<string>();
        foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
        {
            parts.Add(attribute switch
            {
                RangeAttribute r => string.Create(CultureInfo.InvariantCulture, $"{r.Minimum} to {r.Maximum}"),
                RequiredAttribute => "required",
                EmailAddressAttribute => "an e-mail address",
                AbsoluteHttpUrlAttribute => "an absolute http(s) URL",
                _ => attribute.GetType().Name.Replace("Attribute", "", StringComparison.Ordinal),
            });
        }
        if (parts.Count == 0)
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            parts.Add(type == typeof(bool) ? "true or false" : "any");
        }
        return string.Join(", ", parts);
    }

    /// <summary>
    /// Property summaries from the XML documentation file of each settings class's assembly, on one
    /// line each; each file is read once.
    /// </summary>
    private sealed class Docs
    {
        private readonly Dictionary<Assembly, Dictionary<string, string>> _byAssembly = [];

        public string? Summary(Type type, PropertyInfo property)
        {
            if (!_byAssembly.TryGetValue(type.Assembly, out var members))
            {
                members = Load(type.Assembly);
                _byAssembly.Add(type.Assembly, members);
            }
            return members.GetValueOrDefault($"P:{type.FullName}.{property.Name}");
        }

        private static Dictionary<string, string> Load(Assembly assembly)
        {
            var path = Path.ChangeExtension(assembly.Location, ".xml");
            Assert.True(File.Exists(path), $"{path} is missing: GenerateDocumentationFile must stay on");
            return XDocument.Load(path).Descendants("member")
                .Where(m => m.Element("summary") is not null)
                .ToDictionary(
                    m => (string)m.Attribute("name")!,
                    m => string.Join(' ', string.Concat(m.Element("summary")!.Nodes().Select(n => n is XElement e ? (string?)e.Attribute("cref")?.Value.Split('.').Last() ?? e.Value : n.ToString()))
                        .Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries)).Replace("|", "\\|", StringComparison.Ordinal));
        }
    }
}
