using Npgsql;

namespace Analytics.Data.Ingest;

/// <summary>
/// The <c>Idempotency-Key</c> a batch was sent with, and what is stored with it when the batch is
/// committed: the hash of the body and the answer given.
/// </summary>
public sealed record IdempotencyClaim(string OrgId, string Key, byte[] RequestHash, int StatusCode, byte[] ResponseBody);

/// <summary>The answer stored with a key whose batch is already committed, and the hash of that batch's body.</summary>
public sealed record StoredAnswer(byte[] RequestHash, int StatusCode, byte[] ResponseBody);

/// <summary>
/// Owns <c>ingest_idempotency_keys</c> (migration 0015): a key is written in the transaction that
/// appends its batch, so it exists exactly when the batch is committed, and a batch sent again with
/// it is answered from here instead of being appended twice.
/// </summary>
public static class IdempotencyKeys
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>Longest key accepted; a UUID (the usual key) has 36 characters.</summary>
    public const int MaxKeyLength = 255;

    /// <summary>The characters <see cref="Problem"/> accepts (visible ASCII and space), as a JSON Schema pattern.</summary>
    public const string Pattern = "^[ -~]+$";

    /// <summary>
    /// Why <paramref name="key"/> cannot be used as a key, or null when it can: 1 to
    /// <see cref="MaxKeyLength"/> visible ASCII characters (spaces inside allowed), so it is stored and
    /// compared exactly as sent.
    /// </summary>
    public static string? Problem(string key)
    {
        if (key.Length is 0 or > MaxKeyLength)
        {
            return $"The {HeaderName} header must have 1 to {MaxKeyLength} characters; it has {key.Length}.";
        }
        foreach (var c in key)
        {
            if (c is < ' ' or > '~')
            {
                return $"The {HeaderName} header may hold only visible ASCII characters and spaces (a UUID is a good key).";
            }
        }
        return null;
    }

    /// <summary>
    /// Claims the keys of a commit round inside the caller's transaction, before its rows are
    /// appended: one statement for the whole round. Returns, per claim, the answer stored when its
    /// key's batch was committed, or null where the key is new and the batch must be appended now.
    /// </summary>
    /// <remarks>
    /// A key another transaction has inserted and not yet committed makes this statement wait for
    /// it (the primary key's unique index): a duplicate in flight gets the committed answer, or is
    /// stored itself if the other round rolled back. Keys are inserted in order, as camera activity
    /// is, so two rounds never wait on each other.
    /// </remarks>
    public static async Task<StoredAnswer?[]> ClaimAsync(NpgsqlConnection connection, IReadOnlyList<IdempotencyClaim?> claims, CancellationToken cancellationToken)
    {
        var answers = new StoredAnswer?[claims.Count];
        // One row per key and organization: a second request of the round with the same key is a
        // duplicate in flight too, and gets the first one's answer (ON CONFLICT cannot touch a row twice).
        var first = new Dictionary<(string OrgId, string Key), int>();
        var followers = new List<(int Index, int Leader)>();
        for (var i = 0; i < claims.Count; i++)
        {
            if (claims[i] is not { } claim)
            {
                continue;
            }
            if (first.TryGetValue((claim.OrgId, claim.Key), out var leader))
            {
                followers.Add((i, leader));
            }
            else
            {
                first.Add((claim.OrgId, claim.Key), i);
            }
        }
        if (first.Count == 0)
        {
            return answers;
        }

        var ordered = first.Keys.Order(KeyOrder.Instance).Select(k => claims[first[k]]!).ToArray();
        // Only keys committed before come back, so a round of new keys reads no rows.
        await using (var command = new NpgsqlCommand(
            """
            WITH claimed AS (
                INSERT INTO ingest_idempotency_keys AS k (org_id, idempotency_key, request_hash, status_code, response_body)
                SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::smallint[], $5::bytea[])
                ON CONFLICT (org_id, idempotency_key) DO UPDATE SET replays = k.replays + 1
                RETURNING k.org_id, k.idempotency_key, k.replays, k.request_hash, k.status_code, k.response_body
            )
            SELECT org_id, idempotency_key, request_hash, status_code, response_body FROM claimed WHERE replays > 0
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.OrgId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.Key).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.RequestHash).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => (short)c.StatusCode).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.ResponseBody).ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetFieldValue<string>(reader.GetOrdinal("org_id")), reader.GetFieldValue<string>(reader.GetOrdinal("idempotency_key")));
                answers[first[key]] = new StoredAnswer(
                    reader.GetFieldValue<byte[]>(reader.GetOrdinal("request_hash")),
                    reader.GetFieldValue<short>(reader.GetOrdinal("status_code")),
                    reader.GetFieldValue<byte[]>(reader.GetOrdinal("response_body")));
            }
        }

        foreach (var (index, leader) in followers)
        {
            var claim = claims[leader]!;
            answers[index] = answers[leader] ?? new StoredAnswer(claim.RequestHash, claim.StatusCode, claim.ResponseBody);
        }
        return answers;
    }

    /// <summary>Deletes keys older than <paramref name="retentionHours"/> (by the database's clock); returns how many.</summary>
    public static async Task<int> DeleteExpiredAsync(NpgsqlDataSource dataSource, int retentionHours, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM ingest_idempotency_keys WHERE created_at < now() - make_interval(hours => $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = retentionHours });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed class KeyOrder : IComparer<(string OrgId, string Key)>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare((string OrgId, string Key) x, (string OrgId, string Key) y)
        {
            var org = string.CompareOrdinal(x.OrgId, y.OrgId);
            return org != 0 ? org : string.CompareOrdinal(x.Key, y.Key);
        }
    }
}
