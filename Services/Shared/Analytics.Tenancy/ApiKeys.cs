using System.Security.Cryptography;
using System.Text;

namespace Analytics.Tenancy;

public static class ApiKeys
{
    /// <summary>The stored form of a key. Keys carry 256 random bits, so SHA-256 needs no salt or stretching.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>A new key: 32 random bytes, URL-safe, prefixed so a leaked key is recognisable in logs and scanners.</summary>
    public static string Generate() =>
        "ak_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
