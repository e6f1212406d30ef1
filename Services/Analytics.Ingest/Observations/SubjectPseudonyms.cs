using System.Security.Cryptography;
using System.Text;
using Analytics.Schemas.Contracts;

namespace Analytics.Ingest.Observations;

/// <summary>
/// What ingest stores instead of an affect sample's <see cref="AffectTelemetry.SubjectKey"/>: a keyed
/// pseudonym, HMAC-SHA256 of the key under a secret of the organization and the sample's UTC day.
/// One slot gets one pseudonym all day, so the education rules still group a subject's samples:
/// their windows are aligned to the epoch, and one whose length divides a day (the default 60 s does)
/// never spans midnight, so never two secrets. Without the day's secret, which is random and
/// destroyed once the day is more than a day old, no stored pseudonym can be tied to the edge's key.
/// </summary>
public static class SubjectPseudonyms
{
    /// <summary>Bytes of a day's secret: as long as the HMAC, as RFC 2104 advises.</summary>
    public const int SecretBytes = 32;

    /// <summary>Bytes of the HMAC kept: 128 bits make a collision of two slots of one day as good as impossible.</summary>
    private const int KeptBytes = 16;

    private const string Prefix = "p_";

    /// <summary>Characters of a pseudonym, well inside <see cref="ContractLimits.MaxIdLength"/>.</summary>
    public const int Length = 2 + KeptBytes * 2;

    /// <summary>
    /// The day whose secret pseudonymizes a sample: the UTC day of its event time, so a sample's
    /// pseudonym does not depend on when it arrives and an epoch-aligned window never spans two secrets.
    /// </summary>
    public static DateOnly KeyDay(DateTimeOffset occurredAt) => DateOnly.FromDateTime(occurredAt.UtcDateTime);

    /// <summary>
    /// The oldest day whose secret is still kept at <paramref name="now"/>: yesterday (UTC). A day's
    /// secret serves samples of that day arriving late until the following day has ended too, and is
    /// destroyed from then on (by ingest's hourly maintenance, so within the hour).
    /// </summary>
    public static DateOnly OldestKeptDay(DateTimeOffset now) => DateOnly.FromDateTime(now.UtcDateTime).AddDays(-1);

    /// <summary>A fresh secret from the operating system's CSPRNG.</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary><c>p_</c> and the lowercase hex of the first 16 bytes of HMAC-SHA256(<paramref name="secret"/>, UTF-8 of <paramref name="subjectKey"/>).</summary>
    public static string Pseudonym(ReadOnlySpan<byte> secret, string subjectKey)
    {
        // Subject keys are validated to at most MaxIdLength characters, so the UTF-8 fits on the stack.
        Span<byte> utf8 = subjectKey.Length <= ContractLimits.MaxIdLength
            ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(ContractLimits.MaxIdLength)]
            : new byte[Encoding.UTF8.GetMaxByteCount(subjectKey.Length)];
        var length = Encoding.UTF8.GetBytes(subjectKey, utf8);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, utf8[..length], mac);
        return string.Concat(Prefix, Convert.ToHexStringLower(mac[..KeptBytes]));
    }
}

/// <summary>The secrets one batch needs, by day; replaces the subject key of its affect samples.</summary>
public sealed class BatchSubjectSecrets(IReadOnlyDictionary<DateOnly, byte[]> secrets)
{
    /// <summary><paramref name="sample"/> as it is stored: its subject key replaced by its pseudonym.</summary>
    public AffectTelemetry Pseudonymize(AffectTelemetry sample) =>
        sample with { SubjectKey = SubjectPseudonyms.Pseudonym(secrets[SubjectPseudonyms.KeyDay(sample.OccurredAt)], sample.SubjectKey) };
}
