using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Analytics.Tests.Platform.Notifications;

/// <summary>One request the receiver got, and the status it answered.</summary>
public sealed record ReceivedWebhook(string? IdempotencyKey, string? Timestamp, string? Signature, string? TraceParent, byte[] Body, int Answered)
{
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>
    /// Checks the signature as a receiver would, from the documented recipe and not the notifier's
    /// code: hex HMAC-SHA256 with the secret over <c>timestamp + "." + body</c>, prefixed <c>v1=</c>.
    /// </summary>
    public bool HasValidSignature(string secret)
    {
        if (Timestamp is null || Signature is null)
        {
            return false;
        }
        var signed = Encoding.UTF8.GetBytes(Timestamp + ".").Concat(Body).ToArray();
        var expected = "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(Signature));
    }
}

/// <summary>
/// A webhook receiver on loopback (Kestrel in the test process) that records every request. It can
/// fail the first requests with 500, or hold the first one open until released, as broken or slow
/// receivers do.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _failuresLeft;
    private int _holdsLeft;

    private WebhookReceiver(int failFirst, int holdFirst)
    {
        _failuresLeft = failFirst;
        _holdsLeft = holdFirst;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/hook", (Delegate)ReceiveAsync);
    }

    /// <summary>The URL a rule names, e.g. <c>http://127.0.0.1:41234/hook</c>.</summary>
    public string Url { get; private set; } = "";

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <param name="failFirst">How many requests to answer with 500 before answering 200.</param>
    /// <param name="holdFirst">How many requests to hold open (after recording them) until <see cref="Release"/>.</param>
    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0, int holdFirst = 0)
    {
        var receiver = new WebhookReceiver(failFirst, holdFirst);
        await receiver._app.StartAsync();
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    /// <summary>Lets held requests finish (with 200, though their sender may be gone).</summary>
    public void Release() => _release.TrySetResult();

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var status = Interlocked.Decrement(ref _failuresLeft) >= 0 ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK;
        var headers = context.Request.Headers;
        _received.Enqueue(new ReceivedWebhook(
            headers["Idempotency-Key"].FirstOrDefault(),
            headers["X-Analytics-Timestamp"].FirstOrDefault(),
            headers["X-Analytics-Signature"].FirstOrDefault(),
            headers["traceparent"].FirstOrDefault(),
            buffer.ToArray(),
            status));
        if (Interlocked.Decrement(ref _holdsLeft) >= 0)
        {
            await _release.Task.WaitAsync(TimeSpan.FromMinutes(2));
        }
        return Results.StatusCode(status);
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// Postfix's <c>smtp-sink</c>, a real SMTP server, started by the test on the port the notifier's
/// settings name; it writes each message it accepts into a file of its own folder.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private static readonly string[] Locations = ["/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink"];

    private readonly System.Diagnostics.Process _process;

    private SmtpSink(System.Diagnostics.Process process, string directory)
    {
        _process = process;
        Directory = directory;
    }

    public string Directory { get; }

    public static async Task<SmtpSink> StartAsync(int port)
    {
        var binary = Locations.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("smtp-sink is missing: install Debian's postfix package (.ci/run does)");
        var directory = Path.Combine(Path.GetTempPath(), $"analytics-smtp-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        // As root, smtp-sink drops to the postfix user, which must be able to write the messages.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        }
        var arguments = new List<string>();
        if (Environment.UserName == "root")
        {
            arguments.AddRange(["-u", "postfix"]);
        }
        arguments.AddRange(["-d", Path.Combine(directory, "%M."), string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"), "10"]);
        var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(binary, arguments) { RedirectStandardError = true })!;
        var sink = new SmtpSink(process, directory);
        await Eventually.Until(async () =>
        {
            using var client = new System.Net.Sockets.TcpClient();
            try
            {
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return process.HasExited ? throw new InvalidOperationException($"smtp-sink exited: {await process.StandardError.ReadToEndAsync()}") : false;
            }
        }, up => up, $"smtp-sink listening on port {port}", TimeSpan.FromSeconds(20));
        return sink;
    }

    /// <summary>The messages written so far.</summary>
    public IReadOnlyList<string> Messages() => [.. System.IO.Directory.GetFiles(Directory).Select(File.ReadAllText)];

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
