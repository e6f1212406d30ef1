using System.Text.Json.Nodes;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Schemas;

/// <summary>
/// The committed schema files are what partners code against, so they must be exactly what the
/// C# contracts generate.
/// </summary>
public sealed class ContractSchemaFilesTests
{
    private const string UpdateVariable = "ANALYTICS_UPDATE_SCHEMAS";
    private const string UpdateCommand = "ANALYTICS_UPDATE_SCHEMAS=1 dotnet test --filter FullyQualifiedName~ContractSchemaFilesTests";

    [Fact]
    public void Committed_schema_files_match_the_contracts()
    {
        var generated = ContractSchemas.Generate();
        var directory = Path.Combine(RepositoryRoot(), "Analytics.Schemas", "schemas");
        var committed = Directory.Exists(directory)
            ? Directory.GetFiles(directory, "*.json").ToDictionary(path => Path.GetFileName(path), File.ReadAllText, StringComparer.Ordinal)
            : [];

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(directory);
            foreach (var (name, text) in generated)
            {
                File.WriteAllText(Path.Combine(directory, name), text);
            }

            foreach (var stale in committed.Keys.Except(generated.Keys, StringComparer.Ordinal))
            {
                File.Delete(Path.Combine(directory, stale));
            }

            return;
        }

        var differences = new List<string>();
        foreach (var (name, text) in generated.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (!committed.TryGetValue(name, out var committedText))
            {
                differences.Add($"{name} is generated but not committed");
            }
            else if (committedText.ReplaceLineEndings("\n") != text)
            {
                differences.Add($"{name} differs from what the contracts generate");
            }
        }

        differences.AddRange(committed.Keys.Except(generated.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(name => $"{name} is committed but no longer generated"));

        Assert.True(
            differences.Count == 0,
            $"The JSON Schemas in {directory} are out of date:\n  {string.Join("\n  ", differences)}\n"
            + $"If the contract change is intended, regenerate them from the repository root with:\n  {UpdateCommand}\nand commit the result.");
    }

    [Fact]
    public void Generator_produces_every_contract_and_is_deterministic()
    {
        var first = ContractSchemas.Generate();

        Assert.Equal(
            [
                "affect-telemetry.v1.schema.json",
                "analytics-event.v1.schema.json",
                "camera-heartbeat.v1.schema.json",
                "camera.v1.schema.json",
                "delivery.v1.schema.json",
                "incident-event.v1.schema.json",
                "incident.v1.schema.json",
                "notification-message.v1.schema.json",
                "notification-rule.v1.schema.json",
                "observation.v1.schema.json",
                "signal.v1.schema.json",
                "silence.v1.schema.json",
                "site.v1.schema.json",
                "track-update.v1.schema.json",
                "zone-hit.v1.schema.json",
                "zone.v1.schema.json",
            ],
            first.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(first, ContractSchemas.Generate());
        Assert.All(first.Values, text =>
        {
            Assert.EndsWith("}\n", text, StringComparison.Ordinal);
            Assert.DoesNotContain('\r', text);
        });
    }

    [Fact]
    public void Track_update_schema_carries_ranges_lengths_and_identity()
    {
        var schema = Parse("track-update.v1.schema.json");
        var properties = schema["properties"]!;

        Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)schema["$schema"]);
        Assert.Equal("https://schemas.analytics.local/track-update.v1.json", (string?)schema["$id"]);
        Assert.Equal("Track update", (string?)schema["title"]);
        Assert.Equal(0, (double)properties["confidence"]!["minimum"]!);
        Assert.Equal(1, (double)properties["confidence"]!["maximum"]!);
        Assert.Equal("number", (string?)properties["confidence"]!["type"]);
        Assert.Equal(1, (int)properties["trackId"]!["minLength"]!);
        Assert.Equal(128, (int)properties["trackId"]!["maxLength"]!);
        Assert.Equal(0, (double)properties["box"]!["properties"]!["width"]!["exclusiveMinimum"]!);
        Assert.Equal("track_update", (string?)properties["type"]!["const"]);
        Assert.Equal("date-time", (string?)properties["occurredAt"]!["format"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)properties["objectClass"]!["description"]));
        var required = schema["required"]!.AsArray().Select(node => (string?)node).ToList();
        Assert.Contains("confidence", required);
        Assert.DoesNotContain("attributes", required);
    }

    [Fact]
    public void Observation_schema_is_a_union_discriminated_by_type()
    {
        var schema = Parse("observation.v1.schema.json");

        Assert.Contains("type", schema["required"]!.AsArray().Select(node => (string?)node));
        Assert.Equal(
            ["track_update", "zone_hit", "affect_telemetry", "camera_heartbeat"],
            schema["anyOf"]!.AsArray().Select(branch => (string?)branch!["properties"]!["type"]!["const"]));
    }

    [Fact]
    public void Other_schemas_carry_their_constraints()
    {
        var affect = Parse("affect-telemetry.v1.schema.json")["properties"]!;
        var incident = Parse("incident.v1.schema.json")["properties"]!;
        var signal = Parse("signal.v1.schema.json")["properties"]!;
        var analyticsEvent = Parse("analytics-event.v1.schema.json")["properties"]!;

        Assert.Equal(-1, (double)affect["valence"]!["minimum"]!);
        Assert.Contains("never stored", (string?)affect["subjectKey"]!["description"], StringComparison.Ordinal);
        Assert.Contains("keyed pseudonym", (string?)affect["subjectKey"]!["description"], StringComparison.Ordinal);
        Assert.Contains("except for incidents the platform raises", (string?)incident["signalIds"]!["description"], StringComparison.Ordinal);
        Assert.Equal(["open", "acknowledged", "resolved"], incident["status"]!["enum"]!.AsArray().Select(node => (string?)node));
        Assert.Equal(["antitheft", "safety", "education", "platform"], signal["domain"]!["enum"]!.AsArray().Select(node => (string?)node));
        Assert.Equal("object", (string?)analyticsEvent["payload"]!["type"]);
        Assert.Equal("uuid", (string?)analyticsEvent["id"]!["format"]);
    }

    [Fact]
    public void Site_and_camera_schemas_carry_their_constraints()
    {
        var site = Parse("site.v1.schema.json");
        var camera = Parse("camera.v1.schema.json");

        Assert.Equal(["orgId", "siteId", "name", "timeZone"], site["required"]!.AsArray().Select(node => (string?)node));
        Assert.Equal(2000, (int)site["properties"]!["address"]!["maxLength"]!);
        Assert.Equal(["orgId", "cameraId", "siteId", "name"], camera["required"]!.AsArray().Select(node => (string?)node));
        Assert.Equal(10, (int)camera["properties"]!["offlineAfterSeconds"]!["minimum"]!);
        Assert.Equal(86400, (int)camera["properties"]!["offlineAfterSeconds"]!["maximum"]!);
    }

    private static JsonNode Parse(string fileName) => JsonNode.Parse(ContractSchemas.Generate()[fileName])!;

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Analytics.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds Analytics.sln.");
    }
}
