using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Analytics.Tests.Deployment;

/// <summary>
/// The services of one docker-compose file, with anchors and merge keys (<c>&lt;&lt;: *hardened</c>)
/// resolved as docker compose resolves them.
/// </summary>
public sealed class ComposeFile
{
    public const string Base = "docker-compose.yml";
    public const string SecurityOverlay = "docker-compose.security.yml";

    private ComposeFile(IReadOnlyDictionary<string, ComposeService> services) => Services = services;

    public IReadOnlyDictionary<string, ComposeService> Services { get; }

    public static ComposeFile Load(string fileName)
    {
        using var reader = new StringReader(File.ReadAllText(Path.Combine(RepositoryPaths.Root, fileName)));
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var services = root.Children.TryGetValue(new YamlScalarNode("services"), out var node) && node is YamlMappingNode mapping
            ? mapping.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => new ComposeService(((YamlScalarNode)e.Key).Value!, (YamlMappingNode)e.Value))
            : [];
        return new ComposeFile(services);
    }
}

/// <summary>One service of a compose file, read the way docker compose reads its settings.</summary>
public sealed class ComposeService(string name, YamlMappingNode node)
{
    public string Name { get; } = name;

    public string? User => Scalar("user");

    public bool ReadOnly => Scalar("read_only") == "true";

    public IReadOnlyList<string> CapDrop => Sequence("cap_drop");

    public IReadOnlyList<string> SecurityOpt => Sequence("security_opt");

    /// <summary>tmpfs mounts in the short form <c>/tmp:size=64m,mode=1777</c>, with their size in bytes (null when unlimited).</summary>
    public IReadOnlyList<(string Path, long? SizeBytes)> Tmpfs =>
        [.. Sequence("tmpfs").Select(entry =>
        {
            var parts = entry.Split(':', 2);
            var size = parts.Length == 2
                ? parts[1].Split(',').Select(o => o.Split('=', 2)).FirstOrDefault(o => o[0] == "size") is { Length: 2 } option ? Bytes(option[1]) : (long?)null
                : null;
            return (parts[0], size);
        })];

    public double? Cpus => Scalar("deploy", "resources", "limits", "cpus") is { } cpus ? double.Parse(cpus, CultureInfo.InvariantCulture) : null;

    public long? MemoryBytes => Scalar("deploy", "resources", "limits", "memory") is { } memory ? Bytes(memory) : null;

    public int? PidsLimit => Scalar("pids_limit") is { } pids ? int.Parse(pids, CultureInfo.InvariantCulture) : null;

    public string? Dockerfile => Scalar("build", "dockerfile");

    public string? BuildContext => Scalar("build", "context");

    public string? BuildTarget => Scalar("build", "target");

    /// <summary>Build arguments in either form compose takes: a mapping, or a list of <c>KEY=VALUE</c>.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs => Find("build", "args") switch
    {
        YamlMappingNode mapping => mapping.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => ((YamlScalarNode)e.Value).Value ?? ""),
        YamlSequenceNode sequence => sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value!.Split('=', 2)).ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : ""),
        _ => new Dictionary<string, string>(),
    };

    public string? Scalar(params string[] path) => Find(path) is YamlScalarNode scalar ? scalar.Value : null;

    public IReadOnlyList<string> Sequence(string key) =>
        Find(key) is YamlSequenceNode sequence ? [.. sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value!)] : [];

    private YamlNode? Find(params string[] path)
    {
        YamlNode? current = node;
        foreach (var key in path)
        {
            current = current is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
        }
        return current;
    }

    /// <summary>Compose's byte values: a number with an optional b, k, m or g suffix (powers of 1024).</summary>
    public static long Bytes(string value)
    {
        var text = value.Trim().ToLowerInvariant().TrimEnd('b');
        var (digits, factor) = text[^1] switch
        {
            'k' => (text[..^1], 1L << 10),
            'm' => (text[..^1], 1L << 20),
            'g' => (text[..^1], 1L << 30),
            _ => (text, 1L),
        };
        return (long)(double.Parse(digits, CultureInfo.InvariantCulture) * factor);
    }
}
