using System.Security.Cryptography;
using Analytics.Data.Identity;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Analytics.Identity.Tokens;

/// <summary>
/// The ES256 keys access tokens are signed with, read from the database at start-up (and made
/// there on the very first start), so a restart or a second replica signs with the same key and
/// tokens issued before stay valid. The newest key signs; all of them are published as JWKS.
/// </summary>
public sealed class SigningKeys(NpgsqlDataSource dataSource) : IHostedService
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    private static readonly string[] VerifyOnly = ["verify"];

    private ECDsaSecurityKey[] _keys = [];

    /// <summary>The key that signs new tokens.</summary>
    public ECDsaSecurityKey Current => _keys.Length > 0 ? _keys[0] : throw new InvalidOperationException("The signing keys are not loaded yet");

    /// <summary>Every key a token of this service may be signed with.</summary>
    public IReadOnlyList<ECDsaSecurityKey> All => _keys;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var stored = await SigningKeyStore.ActiveKeysAsync(dataSource, Create, cancellationToken);
        _keys = [.. stored.Select(Load)];
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The public half of every key as a JSON Web Key Set, as Supabase publishes at /auth/v1/.well-known/jwks.json.</summary>
    public object Jwks() => new
    {
        keys = _keys.Select(key =>
        {
            var parameters = key.ECDsa.ExportParameters(includePrivateParameters: false);
            return new Dictionary<string, object>
            {
                ["kty"] = JsonWebAlgorithmsKeyTypes.EllipticCurve,
                ["crv"] = JsonWebKeyECTypes.P256,
                ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
                ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
                ["kid"] = key.KeyId,
                ["alg"] = Algorithm,
                ["use"] = JsonWebKeyUseNames.Sig,
                ["key_ops"] = VerifyOnly,
            };
        }).ToArray(),
    };

    /// <summary>A new P-256 key, named by its JWK thumbprint (RFC 7638) so its id says which key it is.</summary>
    private static SigningKey Create()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var privateKey = ecdsa.ExportPkcs8PrivateKey();
        var thumbprint = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ecdsa)).ComputeJwkThumbprint();
        return new SigningKey { KeyId = Base64UrlEncoder.Encode(thumbprint), Algorithm = Algorithm, PrivateKey = privateKey };
    }

    private static ECDsaSecurityKey Load(SigningKey stored)
    {
        // Lives as long as the process: the key signs every token.
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(stored.PrivateKey, out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = stored.KeyId };
    }
}
