using Dapper;
using Npgsql;

namespace Analytics.Data.Identity;

/// <summary>A key the identity service signs access tokens with: ES256, the private key as PKCS#8.</summary>
public sealed record SigningKey
{
    public string KeyId { get; init; } = "";
    public string Algorithm { get; init; } = "";
    public byte[] PrivateKey { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>The owner of <c>identity_signing_keys</c>.</summary>
public static class SigningKeyStore
{
    // Any constant of its own: replicas starting at once wait for each other here, so one key is made.
    private const long CreationLock = 0x1D_E7_17_5E;

    /// <summary>
    /// The keys not retired, newest first; when there is none, <paramref name="create"/> makes one,
    /// which is stored first. Several replicas starting at once end up with the same single key.
    /// </summary>
    public static async Task<SigningKey[]> ActiveKeysAsync(NpgsqlDataSource dataSource, Func<SigningKey> create, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@CreationLock)", new { CreationLock }, transaction, cancellationToken: cancellationToken));
        const string Active = "SELECT key_id, algorithm, private_key, created_at FROM identity_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC";
        var keys = (await connection.QueryAsync<SigningKey>(new CommandDefinition(Active, transaction: transaction, cancellationToken: cancellationToken))).ToArray();
        if (keys.Length == 0)
        {
            var key = create();
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO identity_signing_keys (key_id, algorithm, private_key) VALUES (@KeyId, @Algorithm, @PrivateKey)",
                key, transaction, cancellationToken: cancellationToken));
            keys = (await connection.QueryAsync<SigningKey>(new CommandDefinition(Active, transaction: transaction, cancellationToken: cancellationToken))).ToArray();
        }
        await transaction.CommitAsync(cancellationToken);
        return keys;
    }
}
