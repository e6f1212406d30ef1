using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Analytics.Tests.Platform.Notifications;

/// <summary>One message the server accepted: its envelope and its text as sent.</summary>
public sealed record CapturedMail(string From, IReadOnlyList<string> Recipients, string Text);

/// <summary>
/// A real SMTP server (the <c>SmtpServer</c> package) in the test process, on the loopback port the
/// notifier's settings name; it keeps every message it accepts for the test to read. In process, so
/// the e-mail tests need no system mail package and no user to write files as.
/// </summary>
public sealed class SmtpCapture : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<CapturedMail> _messages = new();
    private Task _running = Task.CompletedTask;

    /// <summary>The messages accepted so far, in the order they arrived.</summary>
    public IReadOnlyList<CapturedMail> Messages => [.. _messages];

    public static async Task<SmtpCapture> StartAsync(int port)
    {
        var capture = new SmtpCapture();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, port)))
            .Build();
        var services = new ServiceProvider();
        services.Add(new Store(capture._messages));
        // Runs until stopped; listening begins on its way, so the test waits until a client gets in.
        capture._running = new SmtpServer.SmtpServer(options, services).StartAsync(capture._stop.Token);
        await Eventually.Until(async () =>
        {
            using var client = new System.Net.Sockets.TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // A server that failed to start (the port taken) says why here.
                return capture._running.IsFaulted ? throw capture._running.Exception! : false;
            }
        }, up => up, $"the SMTP server listening on port {port}", TimeSpan.FromSeconds(20));
        return capture;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private sealed class Store(ConcurrentQueue<CapturedMail> messages) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            messages.Enqueue(new CapturedMail(
                transaction.From.AsAddress(),
                [.. transaction.To.Select(to => to.AsAddress())],
                Encoding.UTF8.GetString(buffer)));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
