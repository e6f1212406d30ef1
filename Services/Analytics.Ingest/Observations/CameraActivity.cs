using Npgsql;

namespace Analytics.Ingest.Observations;

/// <summary>Records, with each commit of observations, which cameras just delivered some.</summary>
public static class CameraActivity
{
    /// <summary>Marks <paramref name="cameras"/> as seen now, inside the caller's transaction.</summary>
    public static async Task TouchAsync(NpgsqlConnection connection, IReadOnlySet<(string OrgId, string CameraId)> cameras, CancellationToken cancellationToken)
    {
        if (cameras.Count == 0)
        {
            return;
        }
        // Sorted, so concurrent rounds would lock rows in the same order.
        var ordered = cameras.OrderBy(c => c.OrgId, StringComparer.Ordinal).ThenBy(c => c.CameraId, StringComparer.Ordinal).ToArray();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO camera_activity (org_id, camera_id, last_seen_at)
            SELECT org_id, camera_id, now() FROM unnest($1::text[], $2::text[]) AS c (org_id, camera_id)
            ON CONFLICT (org_id, camera_id) DO UPDATE SET last_seen_at = excluded.last_seen_at
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.OrgId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.CameraId).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
