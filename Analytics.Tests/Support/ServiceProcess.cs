using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Analytics.Tests;

/// <summary>Runs one built service directly, outside the AppHost, and captures what it prints.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    public sealed record Outcome(int ExitCode, string Output);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="projectDirectory">The project's folder below the repository root, e.g. <c>Services/Analytics.Api</c>.</param>
    public static string DllOf(string projectDirectory)
    {
        // Every project is built in the same configuration as this test assembly.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var project = Path.GetFileName(projectDirectory);
        var dll = Path.Combine(RepositoryPaths.Root, projectDirectory, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} first", dll);
    }

    /// <summary>A database that cannot be reached: port 1 on loopback refuses at once (down, not slow).</summary>
    public const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=analytics;Username=nobody;Password=none";

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the service in Production, with only the given settings from outside.</summary>
    public static ServiceProcess Start(string projectDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = DllOf(projectDirectory);
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
        return new ServiceProcess(Process.Start(start)!);
    }

    /// <summary>Starts any command with exactly <paramref name="environment"/>, nothing inherited from the test runner.</summary>
    public static ServiceProcess StartCommand(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        return new ServiceProcess(Process.Start(start)!);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static async Task<Outcome> RunUntilExitAsync(
        string projectDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        await using var service = Start(projectDirectory, environment, args);
        return await service.WaitForExitAsync(timeout);
    }

    public async Task<Outcome> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not exit within {timeout}: {Output}");
        }
        return new Outcome(_process.ExitCode, Output);
    }

    /// <summary>Waits until the output holds <paramref name="text"/>, the process exits, or the time is up.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {_process.ExitCode} before printing '{text}': {Output}");
            }
            try
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), cts.Token);
            }
            catch (TimeoutException)
            {
                // Re-check exit: a process that dies prints nothing more.
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"'{text}' did not appear within {timeout}: {Output}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        TaskCompletionSource changed;
        lock (_gate)
        {
            _output.Append(line).Append('\n');
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }
}
