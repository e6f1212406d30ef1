using Analytics.Data.Identity;

namespace Analytics.Tenancy;

/// <summary>API keys are secret tokens like refresh tokens (<see cref="SecretTokens"/>): stored only as their hash.</summary>
public static class ApiKeys
{
    /// <summary>The stored form of a key. Keys carry 256 random bits, so SHA-256 needs no salt or stretching.</summary>
    public static byte[] Hash(string key) => SecretTokens.Hash(key);

    /// <summary>A new key: 32 random bytes, URL-safe, prefixed so a leaked key is recognisable in logs and scanners.</summary>
    public static string Generate() => "ak_" + SecretTokens.Generate();
}
