using Analytics.Data.Identity;

namespace Analytics.Tenancy;

/// <summary>API keys are secret tokens like refresh tokens (<see cref="SecretTokens"/>): stored only as their hash.</summary>
public static class ApiKeys
{
    /// <summary>How much of a key is kept in the clear to tell keys apart: the <c>ak_</c> and 8 characters (48 of its 256 bits).</summary>
    public const int PrefixLength = 11;

    /// <summary>The stored form of a key. Keys carry 256 random bits, so SHA-256 needs no salt or stretching.</summary>
    public static byte[] Hash(string key) => SecretTokens.Hash(key);

    /// <summary>A new key: 32 random bytes, URL-safe, prefixed so a leaked key is recognisable in logs and scanners.</summary>
    public static string Generate() => "ak_" + SecretTokens.Generate();

    /// <summary>The first characters of a key, shown in lists so a person can tell which key is which.</summary>
    public static string Prefix(string key) => key.Length <= PrefixLength ? key : key[..PrefixLength];

    /// <summary>Who acted, in audit records and incident histories: a short fingerprint of the key's hash, never the key.</summary>
    public static string Actor(byte[] hash) => "api-key:" + Convert.ToHexStringLower(hash)[..12];
}
