using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Analytics.Rules;

/// <summary>
/// Signal ids derived from what identifies a behaviour, so re-reading the log after a crash yields
/// the same id and the signal is stored once.
/// </summary>
public static class SignalId
{
    /// <summary>
    /// Lowercase hex of the first 16 bytes of SHA-256 over the length-prefixed UTF-8 parts and the
    /// start time in UTC ticks. The organization is part of it because camera ids are chosen per
    /// organization and may repeat across tenants.
    /// </summary>
    /// <param name="orgId">Organization of the camera.</param>
    /// <param name="ruleKind">The signal kind, e.g. <c>loitering</c>.</param>
    /// <param name="cameraId">Camera that saw the behaviour.</param>
    /// <param name="subject">Track id or zone id the behaviour belongs to.</param>
    /// <param name="startedAt">Event time the behaviour started.</param>
    /// <returns>32 lowercase hex characters.</returns>
    public static string For(string orgId, string ruleKind, string cameraId, string subject, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(orgId);
        ArgumentNullException.ThrowIfNull(ruleKind);
        ArgumentNullException.ThrowIfNull(cameraId);
        ArgumentNullException.ThrowIfNull(subject);
        var length = 8 + (4 * 4) + Encoding.UTF8.GetByteCount(orgId) + Encoding.UTF8.GetByteCount(ruleKind)
            + Encoding.UTF8.GetByteCount(cameraId) + Encoding.UTF8.GetByteCount(subject);
        var buffer = new byte[length];
        var offset = 0;
        offset = Write(buffer, offset, orgId);
        offset = Write(buffer, offset, ruleKind);
        offset = Write(buffer, offset, cameraId);
        offset = Write(buffer, offset, subject);
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(offset), startedAt.UtcTicks);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    private static int Write(byte[] buffer, int offset, string part)
    {
        var count = Encoding.UTF8.GetBytes(part, buffer.AsSpan(offset + 4));
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(offset), count);
        return offset + 4 + count;
    }
}
