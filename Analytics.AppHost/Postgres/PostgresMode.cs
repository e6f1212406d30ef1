using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Analytics.AppHost.Postgres;

/// <summary>Where the platform's Postgres comes from: configuration key <c>Postgres:Mode</c>.</summary>
public enum PostgresMode
{
    Auto,
    Container,
    Local,
    External,
}

/// <summary>Decides the mode and finds what the chosen mode needs, failing with a message that says what to install.</summary>
public static class PostgresEnvironment
{
    public const string ModeKey = "Postgres:Mode";
    public const string BinDirectoryKey = "Postgres:BinDirectory";
    public const string DataDirectoryKey = "Postgres:DataDirectory";

    public static PostgresMode ReadMode(IConfiguration configuration)
    {
        var value = configuration[ModeKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            return PostgresMode.Auto;
        }
        return Enum.TryParse<PostgresMode>(value, ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new DistributedApplicationException(
                $"{ModeKey} must be one of auto, container, local, external; was '{value}'.");
    }

    /// <summary>Resolves <see cref="PostgresMode.Auto"/>: a container when a runtime answers, else this machine's server.</summary>
    public static PostgresMode Resolve(PostgresMode mode, IConfiguration configuration)
    {
        if (mode != PostgresMode.Auto)
        {
            return mode;
        }
        if (ContainerRuntimeAnswers(configuration))
        {
            return PostgresMode.Container;
        }
        if (FindBinDirectory(configuration) is not null)
        {
            return PostgresMode.Local;
        }
        throw new DistributedApplicationException(
            "No PostgreSQL for the platform: no container runtime answered (docker or podman) and no PostgreSQL " +
            "server binaries were found (initdb and postgres on PATH, under /usr/lib/postgresql/*/bin, or in " +
            $"{BinDirectoryKey}). Install one of them, for example 'apt-get install postgresql' on Debian, " +
            $"or set {ModeKey}=external with ConnectionStrings:analytics.");
    }

    /// <summary>The folder holding <c>initdb</c> and <c>postgres</c>, newest major version first.</summary>
    public static string? FindBinDirectory(IConfiguration configuration)
    {
        static bool HasServer(string dir) =>
            File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "postgres"));

        var configured = configuration[BinDirectoryKey];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return HasServer(configured)
                ? configured
                : throw new DistributedApplicationException(
                    $"{BinDirectoryKey} is '{configured}', which holds no initdb and postgres executables.");
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HasServer);
        if (onPath is not null)
        {
            return onPath;
        }

        const string debianRoot = "/usr/lib/postgresql";
        return Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Major: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => HasServer(d.Dir))
                .OrderByDescending(d => d.Major)
                .Select(d => d.Dir)
                .FirstOrDefault()
            : null;
    }

    /// <summary>
    /// The persistent data folder. Under root the server runs as the <c>postgres</c> user, which
    /// cannot enter root's home, so the folder then lives in that user's home instead.
    /// </summary>
    public static string DataDirectory(IConfiguration configuration)
    {
        var configured = configuration[DataDirectoryKey];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }
        if (Environment.UserName == "root" && Directory.Exists("/var/lib/postgresql"))
        {
            return "/var/lib/postgresql/analytics-platform/data";
        }
        var dataHome = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        return Path.Combine(dataHome, "analytics-platform", "postgres");
    }

    private static bool ContainerRuntimeAnswers(IConfiguration configuration)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return false;
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // the runtime's command is not installed
        }
    }
}
