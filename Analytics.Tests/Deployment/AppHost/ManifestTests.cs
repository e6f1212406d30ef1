using System.Text.Json.Nodes;

namespace Analytics.Tests.AppHost;

public sealed class ManifestTests
{
    [Fact]
    public async Task Committed_manifest_matches_what_the_apphost_publishes()
    {
        // Written beside the committed file so the relative project paths inside come out the same.
        var fresh = Path.Combine(RepositoryPaths.Root, "aspire-manifest.check.json");
        try
        {
            var outcome = await ServiceProcess.RunUntilExitAsync(
                "Analytics.AppHost", new Dictionary<string, string>(), TimeSpan.FromMinutes(2),
                "--publisher", "manifest", "--output-path", fresh);
            Assert.True(outcome.ExitCode == 0, outcome.Output);

            var committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "aspire-manifest.json")));
            var generated = JsonNode.Parse(await File.ReadAllTextAsync(fresh));
            Assert.True(JsonNode.DeepEquals(committed, generated),
                "aspire-manifest.json is stale. Regenerate it with: " +
                "dotnet run --project Analytics.AppHost -- --publisher manifest --output-path ../aspire-manifest.json");

            // Publishing always describes the container, whatever this machine runs.
            Assert.Equal("container.v0", generated!["resources"]!["postgres"]!["type"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(fresh);
        }
    }
}
