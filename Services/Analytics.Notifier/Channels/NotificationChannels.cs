using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Analytics.Notifier.Channels;

/// <summary>What one attempt sends: the message, to the rule's target, signed with the rule's secret.</summary>
public sealed record Outgoing(NotificationRule Rule, string SigningSecret, NotificationMessage Message);

/// <summary>How one attempt ended; <see cref="RetryAfter"/> is the receiver's own wish, when it said one.</summary>
public sealed record SendResult(bool Sent, int? HttpStatus = null, string? Error = null, TimeSpan? RetryAfter = null);

/// <summary>One way of reaching people. One call is one real request (or one SMTP session): no hidden retries.</summary>
public interface INotificationChannel
{
    NotificationChannel Channel { get; }

    Task<SendResult> SendAsync(Outgoing outgoing, CancellationToken cancellationToken);
}

public static class NotificationChannelRegistration
{
    /// <summary>The HTTP client of webhooks and Slack messages.</summary>
    public const string HttpClientName = "notifications";

    /// <summary>
    /// The channels, and an HTTP client without the service defaults' resilience handler: its
    /// retries would multiply one logged attempt into several requests the delivery log never sees,
    /// and its circuit breaker would fail attempts without a request. Retrying is the delivery
    /// log's job, with a schedule that survives restarts.
    /// </summary>
    public static IHostApplicationBuilder AddNotificationChannels(this IHostApplicationBuilder builder)
    {
#pragma warning disable EXTEXP0001 // Removing the default handlers is the documented way to opt one client out.
        builder.Services.AddHttpClient(HttpClientName)
            .RemoveAllResilienceHandlers()
#pragma warning restore EXTEXP0001
            .ConfigureHttpClient((services, client) =>
                client.Timeout = TimeSpan.FromSeconds(services.GetRequiredService<IOptions<NotifierSettings>>().Value.WebhookTimeoutSeconds))
            // A redirect would turn the POST into a GET to somewhere the rule does not name.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        builder.Services.AddSingleton<INotificationChannel, WebhookChannel>();
        builder.Services.AddSingleton<INotificationChannel, SlackChannel>();
        builder.Services.AddSingleton<INotificationChannel, EmailChannel>();
        return builder;
    }
}

/// <summary>The platform's signed JSON (<see cref="NotificationMessage"/>), POSTed to the rule's URL.</summary>
public sealed class WebhookChannel(IHttpClientFactory clients) : INotificationChannel
{
    public NotificationChannel Channel => NotificationChannel.Webhook;

    public Task<SendResult> SendAsync(Outgoing outgoing, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(outgoing.Message, AnalyticsJsonContext.Default.NotificationMessage);
        var timestamp = outgoing.Message.SentAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, outgoing.Rule.Url) { Content = Json(body) };
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp);
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(outgoing.SigningSecret, timestamp, body));
        return Http.PostAsync(clients, request, outgoing.Message.IdempotencyKey, cancellationToken);
    }

    internal static ByteArrayContent Json(byte[] body) =>
        new(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } };
}

/// <summary>A Slack incoming-webhook message: <c>text</c> for notifications and clients without blocks, <c>blocks</c> for the layout.</summary>
public sealed class SlackChannel(IHttpClientFactory clients) : INotificationChannel
{
    public NotificationChannel Channel => NotificationChannel.Slack;

    public Task<SendResult> SendAsync(Outgoing outgoing, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, outgoing.Rule.Url)
        {
            Content = WebhookChannel.Json(System.Text.Encoding.UTF8.GetBytes(Body(outgoing.Message).ToJsonString())),
        };
        return Http.PostAsync(clients, request, outgoing.Message.IdempotencyKey, cancellationToken);
    }

    public static JsonObject Body(NotificationMessage message)
    {
        var title = MessageText.Title(message);
        var fields = new JsonArray();
        foreach (var (name, value) in MessageText.Facts(message).Take(10))
        {
            // Slack allows at most 10 fields in a section.
            fields.Add(new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{Escape(name)}*\n{Escape(value)}" });
        }
        return new JsonObject
        {
            ["text"] = title,
            ["blocks"] = new JsonArray
            {
                new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = Truncate(title, 150) } },
                new JsonObject { ["type"] = "section", ["fields"] = fields },
                new JsonObject
                {
                    ["type"] = "context",
                    ["elements"] = new JsonArray
                    {
                        new JsonObject { ["type"] = "mrkdwn", ["text"] = $"delivery {message.DeliveryId} · rule {Escape(message.RuleId)}" },
                    },
                },
            },
        };
    }

    // Slack's mrkdwn gives &, < and > a meaning.
    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}

/// <summary>A plain-text e-mail through the configured SMTP server, with MailKit.</summary>
public sealed class EmailChannel(IOptions<NotifierSettings> settings) : INotificationChannel
{
    public const string MessageIdDomain = "notifications.analytics.local";

    /// <summary>Header of a test message's e-mail.</summary>
    public const string TestHeader = "X-Analytics-Test";

    public NotificationChannel Channel => NotificationChannel.Email;

    public async Task<SendResult> SendAsync(Outgoing outgoing, CancellationToken cancellationToken)
    {
        var smtp = settings.Value.Smtp;
        var message = outgoing.Message;
        using var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(smtp.From));
        foreach (var recipient in outgoing.Rule.Recipients)
        {
            mail.To.Add(MailboxAddress.Parse(recipient));
        }
        mail.Subject = MessageText.Title(message);
        // The Message-ID is the same on every attempt, so mail systems that deduplicate by it do.
        mail.MessageId = $"{message.IdempotencyKey}@{MessageIdDomain}";
        mail.Headers.Add(WebhookSignature.IdempotencyKeyHeader, message.IdempotencyKey);
        mail.Headers.Add("X-Analytics-Delivery-Id", message.DeliveryId);
        if (message.Test)
        {
            // For mail rules that file tests away; the subject says it to people.
            mail.Headers.Add(TestHeader, "true");
        }
        var lines = MessageText.Facts(message).Select(f => $"{f.Name}: {f.Value}");
        mail.Body = new TextPart("plain")
        {
            Text = $"{mail.Subject}\n\n{string.Join('\n', lines)}\n\nRule {message.RuleId}, delivery {message.DeliveryId}.\n",
        };

        using var client = new SmtpClient { Timeout = smtp.TimeoutSeconds * 1000 };
        try
        {
            await client.ConnectAsync(smtp.Host, smtp.Port, smtp.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, cancellationToken);
            await client.SendAsync(mail, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return new SendResult(true);
        }
        catch (SmtpCommandException e)
        {
            return new SendResult(false, Error: $"the SMTP server refused: {(int)e.StatusCode} {e.Message}");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or SmtpProtocolException or ServiceNotConnectedException
                                      or SslHandshakeException or TimeoutException)
        {
            return new SendResult(false, Error: $"SMTP {smtp.Host}:{smtp.Port.ToString(CultureInfo.InvariantCulture)}: {e.Message}");
        }
    }
}

internal static class Http
{
    public static async Task<SendResult> PostAsync(IHttpClientFactory clients, HttpRequestMessage request, string idempotencyKey, CancellationToken cancellationToken)
    {
        using (request)
        {
            request.Headers.Add(WebhookSignature.IdempotencyKeyHeader, idempotencyKey);
            var client = clients.CreateClient(NotificationChannelRegistration.HttpClientName);
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                var status = (int)response.StatusCode;
                return response.IsSuccessStatusCode
                    ? new SendResult(true, status)
                    : new SendResult(false, status, $"the receiver answered {status.ToString(CultureInfo.InvariantCulture)} {response.ReasonPhrase}", RetryAfter(response));
            }
            catch (HttpRequestException e)
            {
                return new SendResult(false, Error: e.Message);
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new SendResult(false, Error: $"no answer within {client.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            }
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };
}
