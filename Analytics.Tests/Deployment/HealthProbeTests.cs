using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Analytics.Tests.Deployment;

/// <summary>
/// The images' HEALTHCHECK command: healthy only on a 2xx answer, and a service that accepts the
/// connection but never answers is reported unhealthy within the probe's own timeout.
/// </summary>
public sealed class HealthProbeTests
{
    private const string Probe = "Services/Analytics.HealthProbe";
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("HTTP/1.1 200 OK", "Healthy", 0)]
    [InlineData("HTTP/1.1 503 Service Unavailable", "Unhealthy", 1)]
    public async Task The_exit_code_follows_the_status(string statusLine, string body, int exitCode)
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var answering = AnswerOnceAsync(server, $"{statusLine}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");

        var outcome = await ServiceProcess.RunUntilExitAsync(Probe, new Dictionary<string, string>(), ExitTimeout, Url(server), "4");
        await answering;

        Assert.Equal(exitCode, outcome.ExitCode);
        Assert.Contains(body, outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_never_answers_is_unhealthy_within_the_timeout()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        // Accepted by the kernel's backlog, never read or answered.
        var elapsed = Stopwatch.StartNew();

        var outcome = await ServiceProcess.RunUntilExitAsync(Probe, new Dictionary<string, string>(), ExitTimeout, Url(server), "1");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("no answer within 1 s", outcome.Output, StringComparison.Ordinal);
        // Start-up of the probe plus its one second, far below Docker's 5 s.
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(5), $"took {elapsed.Elapsed}");
    }

    [Fact]
    public async Task A_service_that_is_down_is_unhealthy()
    {
        var outcome = await ServiceProcess.RunUntilExitAsync(
            Probe, new Dictionary<string, string>(), ExitTimeout, $"http://127.0.0.1:{ServiceProcess.FreeLoopbackPort()}/health");

        Assert.Equal(1, outcome.ExitCode);
    }

    [Theory]
    [InlineData("not-a-url")]
    [InlineData("ftp://127.0.0.1/health")]
    public async Task A_wrong_command_line_is_a_usage_error(string url)
    {
        var outcome = await ServiceProcess.RunUntilExitAsync(Probe, new Dictionary<string, string>(), ExitTimeout, url);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("usage:", outcome.Output, StringComparison.Ordinal);
    }

    private static string Url(TcpListener server) => $"http://127.0.0.1:{((IPEndPoint)server.LocalEndpoint).Port}/health";

    private static async Task AnswerOnceAsync(TcpListener server, string response)
    {
        using var client = await server.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var request = new byte[4096];
        var read = 0;
        // Read the request head before answering, as a real server would.
        while (!Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            read += await stream.ReadAsync(request.AsMemory(read));
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
    }
}
