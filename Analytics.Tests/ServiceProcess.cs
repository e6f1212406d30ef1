using System.Diagnostics;
using System.Text;

namespace Analytics.Tests;

/// <summary>Runs one built service directly, outside the AppHost, and captures what it prints.</summary>
public static class ServiceProcess
{
    public sealed record Outcome(int ExitCode, string Output);

    /// <param name="projectDirectory">The project's folder below the repository root, e.g. <c>Services/Analytics.Api</c>.</param>
    public static string DllOf(string projectDirectory)
    {
        // Every project is built in the same configuration as this test assembly.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var project = Path.GetFileName(projectDirectory);
        var dll = Path.Combine(RepositoryPaths.Root, projectDirectory, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} first", dll);
    }

    public static async Task<Outcome> RunUntilExitAsync(
        string projectDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var dll = DllOf(projectDirectory);
        var project = Path.GetFileName(projectDirectory);
        var start = new ProcessStartInfo("dotnet", ["exec", dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll),
        };
        // Nothing from the test runner's environment may decide the outcome.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{project} did not exit within {timeout}: {await stdout}{await stderr}");
        }
        output.Append(await stdout).Append(await stderr);
        return new Outcome(process.ExitCode, output.ToString());
    }
}
