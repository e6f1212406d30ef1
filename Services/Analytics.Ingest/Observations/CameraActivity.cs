using Npgsql;

namespace Analytics.Ingest.Observations;

/// <summary>Records, with each commit of observations, which cameras just delivered some and how far their event time got.</summary>
public static class CameraActivity
{
    /// <summary>Marks <paramref name="cameras"/> as seen now, with their newest event times, inside the caller's transaction.</summary>
    public static async Task TouchAsync(
        NpgsqlConnection connection, IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> cameras, CancellationToken cancellationToken)
    {
        if (cameras.Count == 0)
        {
            return;
        }
        // Sorted, so concurrent rounds would lock rows in the same order.
        var ordered = cameras.OrderBy(c => c.Key.OrgId, StringComparer.Ordinal).ThenBy(c => c.Key.CameraId, StringComparer.Ordinal).ToArray();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO camera_activity (org_id, camera_id, last_seen_at, last_event_at)
            SELECT org_id, camera_id, now(), last_event_at
            FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c (org_id, camera_id, last_event_at)
            ON CONFLICT (org_id, camera_id) DO UPDATE SET last_seen_at = GREATEST(camera_activity.last_seen_at, excluded.last_seen_at),
                last_event_at = GREATEST(camera_activity.last_event_at, excluded.last_event_at)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.Key.OrgId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.Key.CameraId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = ordered.Select(c => c.Value).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
