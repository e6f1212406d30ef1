using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Analytics.Schemas;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Analytics.Tests.Deployment;

/// <summary>
/// The deployment files against the AppHost: every service it runs is in docker-compose.yml, has
/// every setting of the hardened overlay, and has a Dockerfile that builds it from exactly the
/// projects it references and runs it as 65532 with a timed health check.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    /// <summary>
    /// In the AppHost for local runs only: it streams demo scenes into a development organization,
    /// which a deployment must not have (the AppHost leaves it out of the manifest too).
    /// </summary>
    private static readonly string[] LocalOnly = [ResourceNames.Simulator];

    private const string PlatformUser = "65532:65532";

    [Fact]
    public async Task Every_service_of_the_apphost_is_in_compose_with_the_dockerfile_the_manifest_names()
    {
        var services = await AppHostServicesAsync();
        var compose = ComposeFile.Load(ComposeFile.Base);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "aspire-manifest.json")))!["resources"]!;

        Assert.Equal(
            [.. services.Append(ResourceNames.Postgres).Order()],
            compose.Services.Keys.Order());
        Assert.All(services, name =>
        {
            var service = compose.Services[name];
            var image = manifest[name]!["build"];
            Assert.True(image is not null, $"{name}: the manifest does not build it from a Dockerfile (WithServiceImage)");
            Assert.Equal(".", service.BuildContext);
            Assert.Equal(image["context"]!.GetValue<string>(), service.BuildContext);
            Assert.Equal(image["dockerfile"]!.GetValue<string>(), service.Dockerfile);
            Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, service.Dockerfile!)), $"{name}: {service.Dockerfile} is missing");
        });
        Assert.Equal(manifest[ResourceNames.Postgres]!["image"]!.GetValue<string>(), compose.Services[ResourceNames.Postgres].Scalar("image"));
    }

    [Fact]
    public async Task Every_service_of_the_apphost_has_every_setting_of_the_security_overlay()
    {
        var overlay = ComposeFile.Load(ComposeFile.SecurityOverlay);
        var missing = new List<string>();
        foreach (var name in await AppHostServicesAsync())
        {
            if (!overlay.Services.TryGetValue(name, out var service))
            {
                missing.Add($"{name}: not in the overlay");
                continue;
            }
            missing.AddRange(HardeningProblems(service));
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Fact]
    public void The_overlay_check_finds_each_missing_setting()
    {
        // Against a service with nothing set, so the check above cannot pass by finding nothing.
        var empty = new ComposeService("empty", new YamlDotNet.RepresentationModel.YamlMappingNode());

        Assert.Equal(
            ["user", "read_only", "cap_drop", "security_opt", "tmpfs", "cpus", "memory", "pids_limit"],
            HardeningProblems(empty).Select(p => p.Split(' ')[1]));
    }

    [Fact]
    public void Postgres_is_hardened_as_far_as_its_image_allows()
    {
        var postgres = ComposeFile.Load(ComposeFile.SecurityOverlay).Services[ResourceNames.Postgres];

        Assert.True(postgres.ReadOnly);
        Assert.Contains("no-new-privileges:true", postgres.SecurityOpt);
        Assert.Equal(["ALL"], postgres.CapDrop);
        Assert.All(postgres.Tmpfs, mount => Assert.True(mount.SizeBytes > 0, $"{mount.Path} has no size limit"));
        Assert.True(postgres.Cpus > 0 && postgres.MemoryBytes > 0);
    }

    [Fact]
    public async Task Every_dockerfile_runs_its_service_as_65532_from_a_chiseled_image_with_a_timed_health_check()
    {
        foreach (var name in await AppHostServicesAsync())
        {
            var dockerfile = Dockerfile.Read(ComposeFile.Load(ComposeFile.Base).Services[name].Dockerfile!);
            var runtime = dockerfile.Stages[^1];

            Assert.True(dockerfile.Stages.Count >= 2, $"{name}: build and runtime stages");
            Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0", dockerfile.Stages[0][0], StringComparison.Ordinal);
            Assert.Matches(@"^FROM mcr\.microsoft\.com/dotnet/aspnet:10\.0-[a-z]+-chiseled", runtime[0]);
            // The last USER decides; nothing after it may switch back.
            Assert.Equal($"USER {PlatformUser}", runtime.Last(i => i.StartsWith("USER ", StringComparison.Ordinal)));
            Assert.True(
                runtime.FindLastIndex(i => i.StartsWith("USER ", StringComparison.Ordinal)) < runtime.FindIndex(i => i.StartsWith("ENTRYPOINT ", StringComparison.Ordinal)),
                $"{name}: USER must come before ENTRYPOINT");
            Assert.DoesNotContain(runtime, i => i.StartsWith("RUN ", StringComparison.Ordinal));

            var healthcheck = Assert.Single(runtime, i => i.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
            if (ResourceNames.Services.Contains(name))
            {
                var timeout = HealthcheckTimeout().Match(healthcheck);
                Assert.True(timeout.Success, $"{name}: HEALTHCHECK without --timeout: {healthcheck}");
                Assert.Contains("http://127.0.0.1:8080/health", healthcheck, StringComparison.Ordinal);
                // The probe gives up before Docker kills it, so a hung service is reported as such.
                var probeTimeout = ProbeTimeout().Match(healthcheck);
                Assert.True(probeTimeout.Success && int.Parse(probeTimeout.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < int.Parse(timeout.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                    $"{name}: the probe's timeout must be below Docker's: {healthcheck}");
                Assert.Contains(runtime, i => i == "COPY --from=build /out/probe /probe/");
            }
            else
            {
                // Migrations serves nothing: it runs to completion and compose waits for its exit code.
                Assert.Equal("HEALTHCHECK NONE", healthcheck);
                Assert.Equal("service_completed_successfully", ComposeFile.Load(ComposeFile.Base).Services[ResourceNames.Ingest].Scalar("depends_on", name, "condition"));
            }
        }
    }

    [Fact]
    public async Task Every_dockerfile_copies_exactly_the_projects_its_service_needs()
    {
        foreach (var name in await AppHostServicesAsync())
        {
            var path = ComposeFile.Load(ComposeFile.Base).Services[name].Dockerfile!;
            var project = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, Path.GetDirectoryName(path)!), "*.csproj").Single();
            var needed = ProjectClosure(project);
            if (ResourceNames.Services.Contains(name))
            {
                needed.Add("Services/Analytics.HealthProbe");
            }

            var copied = Dockerfile.Read(path).Stages[0]
                .Where(i => i.StartsWith("COPY ", StringComparison.Ordinal) && !i.StartsWith("COPY --from", StringComparison.Ordinal))
                .SelectMany(i => i.Split(' ')[1..^1])
                .Select(source => source.TrimEnd('/'))
                .Where(source => Directory.Exists(Path.Combine(RepositoryPaths.Root, source)))
                .ToHashSet();

            Assert.True(needed.SetEquals(copied),
                $"{path} must copy exactly {string.Join(", ", needed.Order())}; it copies {string.Join(", ", copied.Order())}");

            // Build settings between the root and the project (e.g. Services/Directory.Build.props,
            // which sets the services' GC mode) must come along, or the image builds differently.
            var copiedFiles = Dockerfile.Read(path).Stages[0]
                .Where(i => i.StartsWith("COPY ", StringComparison.Ordinal) && !i.StartsWith("COPY --from", StringComparison.Ordinal))
                .Select(i => i.Split(' '))
                .SelectMany(parts => parts[1..^1].Select(source => Path.Combine(parts[^1].TrimEnd('/') is "." or "" ? "" : parts[^1], Path.GetFileName(source)).Replace('\\', '/')))
                .ToHashSet();
            for (var directory = Path.GetDirectoryName(project)!; directory.Length >= RepositoryPaths.Root.Length; directory = Path.GetDirectoryName(directory)!)
            {
                var props = Path.Combine(directory, "Directory.Build.props");
                if (File.Exists(props))
                {
                    var relative = Path.GetRelativePath(RepositoryPaths.Root, props).Replace('\\', '/');
                    Assert.True(copiedFiles.Contains(relative), $"{path} must copy {relative}");
                }
            }
        }
    }

    [Fact]
    public void Build_output_stays_out_of_the_image_build_context()
    {
        var ignored = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"));

        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }

    /// <summary>Each overlay setting the platform promises that <paramref name="service"/> lacks, as "{name} {setting} ...".</summary>
    private static IEnumerable<string> HardeningProblems(ComposeService service)
    {
        if (service.User != PlatformUser)
        {
            yield return $"{service.Name} user must be {PlatformUser}, is {service.User ?? "unset"}";
        }
        if (!service.ReadOnly)
        {
            yield return $"{service.Name} read_only must be true";
        }
        if (!service.CapDrop.Contains("ALL"))
        {
            yield return $"{service.Name} cap_drop must hold ALL";
        }
        if (!service.SecurityOpt.Contains("no-new-privileges:true"))
        {
            yield return $"{service.Name} security_opt must hold no-new-privileges:true";
        }
        if (!service.Tmpfs.Any(t => t.Path == "/tmp" && t.SizeBytes > 0))
        {
            yield return $"{service.Name} tmpfs must mount /tmp with a size limit";
        }
        if (service.Cpus is not > 0)
        {
            yield return $"{service.Name} cpus limit (deploy.resources.limits.cpus) is missing";
        }
        if (service.MemoryBytes is not > 0)
        {
            yield return $"{service.Name} memory limit (deploy.resources.limits.memory) is missing";
        }
        if (service.PidsLimit is not > 0)
        {
            yield return $"{service.Name} pids_limit is missing";
        }
    }

    /// <summary>The resources the AppHost runs as projects, read from its model as a test of the AppHost would.</summary>
    internal static async Task<List<string>> AppHostServicesAsync()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(
            // External mode adds no local server, so reading the model starts and creates nothing.
            ["Postgres:Mode=external", "ConnectionStrings:analytics=Host=unused", $"Parameters:{Analytics.AppHost.Extensions.DevelopmentApiKeyParameter}=unused-{Guid.NewGuid():N}"]);
        return [.. builder.Resources.OfType<ProjectResource>().Select(r => r.Name).Except(LocalOnly)];
    }

    /// <summary>The project's folder and those of every project it references, directly or not, relative to the root.</summary>
    private static HashSet<string> ProjectClosure(string projectPath)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(projectPath)]);
        while (pending.TryPop(out var project))
        {
            if (!folders.Add(Path.GetRelativePath(RepositoryPaths.Root, Path.GetDirectoryName(project)!).Replace('\\', '/')))
            {
                continue;
            }
            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, include)));
            }
        }
        return folders;
    }

    [GeneratedRegex(@"--timeout=(\d+)s")]
    private static partial Regex HealthcheckTimeout();

    [GeneratedRegex(@"/health"", ""(\d+)""\]")]
    private static partial Regex ProbeTimeout();
}

/// <summary>A Dockerfile's instructions, continuation lines joined and comments dropped, grouped by stage.</summary>
public sealed class Dockerfile
{
    private Dockerfile(List<List<string>> stages) => Stages = stages;

    public IReadOnlyList<List<string>> Stages { get; }

    public static Dockerfile Read(string relativePath)
    {
        var instructions = new List<string>();
        var current = "";
        foreach (var raw in File.ReadAllLines(Path.Combine(RepositoryPaths.Root, relativePath)))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }
            current += line.EndsWith('\\') ? line[..^1] : line;
            if (!line.EndsWith('\\'))
            {
                instructions.Add(string.Join(' ', current.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
                current = "";
            }
        }
        var stages = new List<List<string>>();
        foreach (var instruction in instructions)
        {
            if (instruction.StartsWith("FROM ", StringComparison.Ordinal))
            {
                stages.Add([]);
            }
            stages[^1].Add(instruction);
        }
        return new Dockerfile(stages);
    }
}
