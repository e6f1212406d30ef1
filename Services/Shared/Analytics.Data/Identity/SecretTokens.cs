using System.Buffers.Text;
using System.Security.Cryptography;

namespace Analytics.Data.Identity;

/// <summary>
/// Refresh tokens and invitation tokens: 32 random bytes, URL-safe, stored only as their SHA-256.
/// 256 random bits need no salt or stretching, and a leaked table holds nothing that signs anyone in.
/// </summary>
public static class SecretTokens
{
    public static string Generate() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));
}
