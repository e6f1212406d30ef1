using System.Collections.Concurrent;
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
