using System.Security.Cryptography;
using System.Text;

namespace Analytics.Notifier.Channels;

/// <summary>
/// How a receiver knows a webhook came from the platform and was not replayed later: an
/// HMAC-SHA256 with the rule's signing secret over the timestamp header, a dot and the raw body.
/// A receiver recomputes it, compares in constant time, and refuses old timestamps.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-Analytics-Signature";
    public const string TimestampHeader = "X-Analytics-Timestamp";
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The header value: <c>v1=</c> and the lowercase hex HMAC-SHA256 of <c>timestamp + "." + body</c>, keyed with the secret's UTF-8 bytes.</summary>
    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var signed = new byte[Encoding.UTF8.GetByteCount(timestamp) + 1 + body.Length];
        var written = Encoding.UTF8.GetBytes(timestamp, signed);
        signed[written] = (byte)'.';
        body.CopyTo(signed.AsSpan(written + 1));
        return "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>Whether <paramref name="header"/> is the signature of the timestamp and body, compared in constant time.</summary>
    public static bool Verify(string secret, string timestamp, ReadOnlySpan<byte> body, string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)), Encoding.ASCII.GetBytes(header));
}
