using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Analytics.Schemas;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Analytics.Tests.Deployment;

/// <summary>
/// The deployment files against the AppHost: every service it runs is in docker-compose.yml, built
/// from the one Dockerfile with its own project as the manifest builds it, runs as 65532 with a
/// timed health check, finds every project it references in the image build context, and has
/// every setting of the hardened overlay.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    /// <summary>
    /// In the AppHost for local runs only: it streams demo scenes into a development organization,
    /// which a deployment must not have (the AppHost leaves it out of the manifest too).
    /// </summary>
    private static readonly string[] LocalOnly = [ResourceNames.Simulator];

    private const string PlatformUser = "65532:65532";
    private const string DockerfilePath = "Dockerfile";
    private const string ProjectArg = "SERVICE_PROJECT";
    private const string AssemblyArg = "SERVICE_ASSEMBLY";
    private const string ProbeProject = "Services/Analytics.HealthProbe";

    [Fact]
    public async Task Every_service_of_the_apphost_is_in_compose_built_as_the_manifest_builds_it()
    {
        var services = await AppHostServicesAsync();
        var compose = ComposeFile.Load(ComposeFile.Base);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "aspire-manifest.json")))!["resources"]!;

        Assert.Equal(
            [.. services.Select(s => s.Name).Append(ResourceNames.Postgres).Order()],
            compose.Services.Keys.Order());
        Assert.All(services, s =>
        {
            var service = compose.Services[s.Name];
            var image = manifest[s.Name]!["build"];
            Assert.True(image is not null, $"{s.Name}: the manifest does not build it from the Dockerfile (WithServiceImage)");
            Assert.Equal(".", service.BuildContext);
            Assert.Equal(DockerfilePath, service.Dockerfile);
            Assert.Equal(image["context"]!.GetValue<string>(), service.BuildContext);
            Assert.Equal(image["dockerfile"]!.GetValue<string>(), service.Dockerfile);
            Assert.Equal(image["stage"]?.GetValue<string>(), service.BuildTarget);
            Assert.Equal(
                image["args"]!.AsObject().Select(a => (a.Key, a.Value!.GetValue<string>())).Order(),
                service.BuildArgs.Select(a => (a.Key, a.Value)).Order());
        });
        Assert.Equal(manifest[ResourceNames.Postgres]!["image"]!.GetValue<string>(), compose.Services[ResourceNames.Postgres].Scalar("image"));
    }

    [Fact]
    public async Task Every_service_is_built_from_its_own_project_in_the_stage_for_its_kind()
    {
        var compose = ComposeFile.Load(ComposeFile.Base);
        var stages = Dockerfile.Read(DockerfilePath);
        foreach (var (name, project) in await AppHostServicesAsync())
        {
            var service = compose.Services[name];

            Assert.Equal([AssemblyArg, ProjectArg], service.BuildArgs.Keys.Order());
            Assert.Equal(RelativeToRoot(Path.GetDirectoryName(project)!), service.BuildArgs[ProjectArg]);
            Assert.Equal(AssemblyName(project), service.BuildArgs[AssemblyArg]);
            // Migrations serves nothing: it runs to completion and compose waits for its exit code.
            Assert.Equal(ResourceNames.Services.Contains(name) ? "service" : "job", service.BuildTarget);
            Assert.NotNull(stages.Stage(service.BuildTarget!));
        }
    }

    [Fact]
    public void The_dockerfile_takes_the_arguments_compose_passes_and_starts_the_service_it_built()
    {
        var build = Dockerfile.Read(DockerfilePath).Stages[0];

        Assert.Equal([$"ARG {ProjectArg}", $"ARG {AssemblyArg}"], build.Where(i => i.StartsWith("ARG ", StringComparison.Ordinal)));
        var publish = Assert.Single(build, i => i.StartsWith("RUN ", StringComparison.Ordinal));
        // The package cache mount keeps rebuilds from downloading every package again.
        Assert.Contains("--mount=type=cache,id=nuget,target=/root/.nuget/packages", publish, StringComparison.Ordinal);
        Assert.Contains($"dotnet publish \"${ProjectArg}\" -c Release -o /out/app", publish, StringComparison.Ordinal);
        // ENTRYPOINT cannot take a build argument: the launcher gets one name in every image.
        Assert.Contains($"mv \"/out/app/${AssemblyArg}\" /out/app/service", publish, StringComparison.Ordinal);
        Assert.Contains($"dotnet publish {ProbeProject} -c Release -o /out/probe", publish, StringComparison.Ordinal);
        Assert.Equal("ENTRYPOINT [\"/app/service\"]", Assert.Single(Dockerfile.Read(DockerfilePath).Stage("runtime")!, i => i.StartsWith("ENTRYPOINT ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Every_service_of_the_apphost_has_every_setting_of_the_security_overlay()
    {
        var overlay = ComposeFile.Load(ComposeFile.SecurityOverlay);
        var missing = new List<string>();
        foreach (var (name, _) in await AppHostServicesAsync())
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
    public async Task Every_image_runs_its_service_as_65532_from_a_chiseled_image_with_a_timed_health_check()
    {
        var dockerfile = Dockerfile.Read(DockerfilePath);
        var compose = ComposeFile.Load(ComposeFile.Base);
        foreach (var (name, _) in await AppHostServicesAsync())
        {
            // What the image gets: its target stage with everything it inherits from the stages below it.
            var target = compose.Services[name].BuildTarget!;
            var runtime = dockerfile.Effective(target);

            Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", dockerfile.Stages[0][0], StringComparison.Ordinal);
            Assert.Matches(@"^FROM mcr\.microsoft\.com/dotnet/aspnet:10\.0-[a-z]+-chiseled", runtime[0]);
            // The last USER decides; nothing after it may switch back.
            Assert.Equal($"USER {PlatformUser}", runtime.Last(i => i.StartsWith("USER ", StringComparison.Ordinal)));
            Assert.True(
                runtime.FindLastIndex(i => i.StartsWith("USER ", StringComparison.Ordinal)) < runtime.FindIndex(i => i.StartsWith("ENTRYPOINT ", StringComparison.Ordinal)),
                $"{name}: USER must come before ENTRYPOINT");
            Assert.DoesNotContain(runtime, i => i.StartsWith("RUN ", StringComparison.Ordinal));

            var healthcheck = runtime.Last(i => i.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
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
                Assert.Contains(runtime, i => i == "ENV ASPNETCORE_HTTP_PORTS=8080");
            }
            else
            {
                Assert.Equal("HEALTHCHECK NONE", healthcheck);
                Assert.Equal("service_completed_successfully", compose.Services[ResourceNames.Ingest].Scalar("depends_on", name, "condition"));
            }
        }
    }

    [Fact]
    public async Task The_image_build_context_holds_every_file_of_every_project_a_service_references()
    {
        var ignore = DockerIgnore.Load();
        // The build stage takes the whole context; .dockerignore alone decides what it holds.
        Assert.Contains("COPY . .", Dockerfile.Read(DockerfilePath).Stages[0]);

        var problems = new List<string>();
        foreach (var (name, project) in await AppHostServicesAsync())
        {
            var needed = ProjectClosure(project);
            needed.UnionWith(ProjectClosure(Directory.GetFiles(Path.Combine(RepositoryPaths.Root, ProbeProject), "*.csproj").Single()));
            foreach (var folder in needed)
            {
                problems.AddRange(SourceFiles(folder).Where(ignore.Ignores).Select(file => $"{name}: {file} is left out of the build context"));
                // Build settings between the root and the project (e.g. Services/Directory.Build.props,
                // which sets the services' GC mode) must come along, or the image builds differently.
                for (var directory = Path.Combine(RepositoryPaths.Root, folder); directory.Length >= RepositoryPaths.Root.Length; directory = Path.GetDirectoryName(directory)!)
                {
                    if (File.Exists(Path.Combine(directory, "Directory.Build.props")) && RelativeToRoot(Path.Combine(directory, "Directory.Build.props")) is var props && ignore.Ignores(props))
                    {
                        problems.Add($"{name}: {props} is left out of the build context");
                    }
                }
            }
        }
        problems.AddRange(new[] { "global.json", "Directory.Packages.props", ".editorconfig" }.Where(ignore.Ignores).Select(file => $"{file} is left out of the build context"));
        Assert.True(problems.Count == 0, string.Join("\n", problems.Distinct()));
    }

    [Fact]
    public void Build_output_and_what_is_not_deployed_stay_out_of_the_image_build_context()
    {
        var ignore = DockerIgnore.Load();

        Assert.All(
            ["Services/Analytics.Fusion/bin/Release/net10.0/Analytics.Fusion.dll", "Analytics.Schemas/obj/project.assets.json",
             "Analytics.Tests/Deployment/DeploymentFilesTests.cs", "bench/README.md", "Analytics.AppHost/Program.cs", ".git/HEAD"],
            path => Assert.True(ignore.Ignores(path), $"{path} is in the build context"));
        // The matcher itself, so the test above cannot pass by ignoring everything.
        Assert.False(ignore.Ignores("Services/Analytics.Fusion/Program.cs"));
        Assert.False(ignore.Ignores("Services/Directory.Build.props"));
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

    /// <summary>The resources the AppHost runs as projects, with their project files, read from its model as a test of the AppHost would.</summary>
    internal static async Task<List<(string Name, string Project)>> AppHostServicesAsync()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(
            // External mode adds no local server, so reading the model starts and creates nothing.
            ["Postgres:Mode=external", "ConnectionStrings:analytics=Host=unused", $"Parameters:{Analytics.AppHost.Extensions.DevelopmentApiKeyParameter}=unused-{Guid.NewGuid():N}"]);
        return [.. builder.Resources.OfType<ProjectResource>()
            .Where(r => !LocalOnly.Contains(r.Name))
            .Select(r => (r.Name, r.GetProjectMetadata().ProjectPath))];
    }

    private static string RelativeToRoot(string path) => Path.GetRelativePath(RepositoryPaths.Root, path).Replace('\\', '/');

    /// <summary>The assembly a project builds, which names its launcher in the publish output.</summary>
    private static string AssemblyName(string projectPath) =>
        XDocument.Load(projectPath).Descendants("AssemblyName").LastOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(projectPath);

    /// <summary>The files of a project folder, relative to the root, without its build output.</summary>
    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, folder), "*", SearchOption.AllDirectories)
            .Select(RelativeToRoot)
            .Where(file => !file.Split('/').Any(part => part is "bin" or "obj"));

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

    /// <summary>The stage named <paramref name="name"/> (<c>FROM ... AS name</c>), or null.</summary>
    public List<string>? Stage(string name) =>
        Stages.FirstOrDefault(stage => stage[0].Split(' ') is [_, _, var alias, var stageName] && alias.Equals("AS", StringComparison.OrdinalIgnoreCase) && stageName == name);

    /// <summary>
    /// What an image built with <c>--target <paramref name="name"/></c> gets: the stage's
    /// instructions after those of the stage it is built <c>FROM</c>, down to the base image's
    /// <c>FROM</c>, so USER, ENTRYPOINT and HEALTHCHECK inherited from a stage below count.
    /// </summary>
    public List<string> Effective(string name)
    {
        var stage = Stage(name) ?? throw new InvalidOperationException($"no stage {name}");
        var baseName = stage[0].Split(' ')[1];
        return Stage(baseName) is null ? [.. stage] : [.. Effective(baseName), .. stage.Skip(1)];
    }

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

/// <summary>
/// The repository's .dockerignore as Docker applies it: patterns relative to the context root,
/// <c>*</c> and <c>?</c> within one path segment, <c>**</c> across any number of them, a pattern
/// that matches a folder leaves out all of it, a later <c>!pattern</c> takes a path back in.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> _rules;

    private DockerIgnore(List<(Regex, bool)> rules) => _rules = rules;

    public static DockerIgnore Load()
    {
        var rules = new List<(Regex, bool)>();
        foreach (var raw in File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore")))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var exclude = !line.StartsWith('!');
            var pattern = line.TrimStart('!').Trim().TrimStart('/').TrimEnd('/');
            if (pattern.StartsWith("./", StringComparison.Ordinal))
            {
                pattern = pattern[2..];
            }
            var regex = new System.Text.StringBuilder("^");
            for (var i = 0; i < pattern.Length; i++)
            {
                if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    // "**/" may match no folder at all.
                    var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                    regex.Append(slash ? "(?:.*/)?" : ".*");
                    i += slash ? 2 : 1;
                }
                else
                {
                    regex.Append(pattern[i] switch { '*' => "[^/]*", '?' => "[^/]", var c => Regex.Escape(c.ToString())});
                }
            }
            rules.Add((new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant), exclude));
        }
        return new DockerIgnore(rules);
    }

    /// <summary>Whether <paramref name="path"/> (relative to the root, with /) stays out of the context.</summary>
    public bool Ignores(string path)
    {
        var segments = path.Split('/');
        var ignored = false;
        foreach (var (pattern, exclude) in _rules)
        {
            // A path is left out with any folder it sits in.
            if (Enumerable.Range(1, segments.Length).Any(n => pattern.IsMatch(string.Join('/', segments[..n]))))
            {
                ignored = exclude;
            }
        }
        return ignored;
    }
}
