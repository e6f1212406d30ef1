using System.Globalization;

namespace Analytics.Tests.Deployment;

/// <summary>
/// Runs a command the way the security overlay runs a service's container, with bubblewrap and the
/// settings read from the overlay itself: the user and group (a real uid outside too, by dropping
/// to it with setpriv before bwrap makes its user namespace), the root filesystem bound read-only,
/// each tmpfs with its size, the dropped capabilities, no-new-privileges (bwrap always sets it),
/// its own PID and IPC namespaces, and the CPU and memory limits as .NET sees them in a container
/// (processor count and GC heap limit). The network stays shared so the service reaches Postgres
/// on loopback, as a container reaches it over the compose network.
/// </summary>
public sealed class Sandbox(ComposeService hardened)
{
    private const string Bwrap = "/usr/bin/bwrap";
    private const string Setpriv = "/usr/bin/setpriv";

    /// <summary>What .NET reserves for its heap by default under a container memory limit.</summary>
    private const double GcHeapShareOfLimit = 0.75;

    public ComposeService Hardened => hardened;

    public (int Uid, int Gid) User
    {
        get
        {
            var parts = (hardened.User ?? throw new InvalidOperationException($"{hardened.Name}: the overlay sets no user")).Split(':');
            return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[^1], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Reports the test skipped, saying why, when this machine cannot run the sandbox: an ordinary
    /// user's <c>./test.sh</c> runs every other test and shows these as skipped, not failed.
    /// </summary>
    public static void SkipUnlessAvailable()
    {
        var why = WhyUnavailableHere;
        Skip.If(why is not null, why);
    }

    /// <summary>Why the sandbox cannot run on this machine, or null when it can.</summary>
    public static string? WhyUnavailableHere => WhyUnavailable(System.Environment.IsPrivilegedProcess, File.Exists);

    /// <summary>Why the sandbox cannot run here (every reason, with what to do), or null when it can.</summary>
    public static string? WhyUnavailable(bool isRoot, Func<string, bool> fileExists)
    {
        var reasons = new List<string>();
        // Only root can start a process as another real user, as Docker does: mapped into a user
        // namespace instead, the service would be root outside, which is what the tests rule out.
        if (!isRoot)
        {
            reasons.Add("the sandbox tests start every service as uid 65532, which needs root: run the tests as root (.ci/run does)");
        }
        if (!fileExists(Bwrap))
        {
            reasons.Add($"{Bwrap} is missing: install bubblewrap (./test.sh does, or apt-get install bubblewrap)");
        }
        if (!fileExists(Setpriv))
        {
            reasons.Add($"{Setpriv} is missing: install util-linux");
        }
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>Starts <paramref name="command"/> in the sandbox with exactly <paramref name="environment"/> and what the image sets.</summary>
    public ServiceProcess Start(string workingDirectory, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment) =>
        ServiceProcess.StartCommand(Setpriv, Arguments(workingDirectory, command), Environment(environment));

    public async Task<ServiceProcess.Outcome> RunAsync(
        string workingDirectory, IReadOnlyList<string> command, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var process = Start(workingDirectory, command, environment ?? new Dictionary<string, string>());
        return await process.WaitForExitAsync(timeout);
    }

    private List<string> Arguments(string workingDirectory, IReadOnlyList<string> command)
    {
        var (uid, gid) = User;
        List<string> arguments =
        [
            $"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--",
            Bwrap, "--unshare-user", "--uid", $"{uid}", "--gid", $"{gid}",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            // No --die-with-parent: its death signal is tied to the thread that started bwrap, and
            // .NET starts processes from pool threads that retire when idle, which killed
            // sandboxed processes (exit 137) at random. Disposing the process kills its tree.
            "--new-session",
            // Without read_only the root stays writable, so the write checks would catch it.
            hardened.ReadOnly ? "--ro-bind" : "--bind", "/", "/",
        ];
        foreach (var (path, size) in hardened.Tmpfs)
        {
            if (size is { } bytes)
            {
                arguments.AddRange(["--size", bytes.ToString(CultureInfo.InvariantCulture)]);
            }
            arguments.AddRange(["--tmpfs", path]);
        }
        arguments.AddRange(["--proc", "/proc", "--dev", "/dev"]);
        foreach (var capability in hardened.CapDrop)
        {
            arguments.AddRange(["--cap-drop", capability]);
        }
        arguments.AddRange(["--chdir", workingDirectory, "--"]);
        arguments.AddRange(command);
        return arguments;
    }

    private Dictionary<string, string> Environment(IReadOnlyDictionary<string, string> environment)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            // What Docker sets for a uid without an /etc/passwd entry: a home that cannot be written.
            ["HOME"] = "/",
            // Set by the .NET base images.
            ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
        };
        if (hardened.Cpus is { } cpus)
        {
            variables["DOTNET_PROCESSOR_COUNT"] = ((int)Math.Ceiling(cpus)).ToString(CultureInfo.InvariantCulture);
        }
        if (hardened.MemoryBytes is { } memory)
        {
            variables["DOTNET_GCHeapHardLimit"] = ((long)(memory * GcHeapShareOfLimit)).ToString("X", CultureInfo.InvariantCulture);
        }
        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }
        return variables;
    }
}

/// <summary>What the kernel says about a process, read from outside through /proc.</summary>
public sealed record ProcessView(int Pid, IReadOnlyDictionary<string, string> Status, IReadOnlyList<string> MountInfo)
{
    public static ProcessView Read(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status")
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1].Trim());
        return new ProcessView(pid, status, File.ReadAllLines($"/proc/{pid}/mountinfo"));
    }

    /// <summary>
    /// The process below <paramref name="ancestor"/> that runs <paramref name="program"/> (with
    /// <paramref name="argument"/> when given); not setpriv or bwrap, whose own command lines hold both too.
    /// </summary>
    public static int FindDescendant(int ancestor, string program, string? argument = null)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && TryReadParent(pid) is { } parent)
            {
                parents[pid] = parent;
            }
        }
        return parents.Keys.First(pid => IsBelow(pid, ancestor, parents)
            && TryReadCommandLine(pid) is [var first, .. var rest] && first == program
            && (argument is null || rest.Any(a => a.EndsWith(argument, StringComparison.Ordinal))));
    }

    /// <summary>Peak resident memory (VmHWM), in bytes.</summary>
    public long PeakResidentBytes => long.Parse(Status["VmHWM"].Split(' ')[0], CultureInfo.InvariantCulture) * 1024;

    public string[] Field(string name) => Status[name].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The mount at <paramref name="mountPoint"/> as the process sees it: (per-mount options, filesystem type, filesystem options).</summary>
    public (string[] Options, string Type, string[] SuperOptions) Mount(string mountPoint)
    {
        // Fields: id parent major:minor root mount-point options [optional...] - type source super-options.
        // The last mount at a point is the one the process sees.
        var line = MountInfo.Last(l => l.Split(' ')[4] == mountPoint).Split(' ');
        var separator = Array.IndexOf(line, "-");
        return (line[5].Split(','), line[separator + 1], line[separator + 3].Split(','));
    }

    private static bool IsBelow(int pid, int ancestor, Dictionary<int, int> parents)
    {
        for (var current = pid; parents.TryGetValue(current, out var parent) && current != 1; current = parent)
        {
            if (parent == ancestor)
            {
                return true;
            }
        }
        return false;
    }

    private static int? TryReadParent(int pid)
    {
        try
        {
            // The command name in field 2 is parenthesized and may hold spaces; the parent follows its ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string[]? TryReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
