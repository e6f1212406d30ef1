using System.Text;
using System.Text.Json;
using Analytics.EventLog;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Tests.Platform;

namespace Analytics.Tests.EventLog;

/// <summary>
/// Producers encode their rows themselves in Postgres' binary COPY format; what the real server
/// stores from them must be exactly the records, field for field.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class LogRowsTests(PlatformFixture platform)
{
    [Fact]
    public async Task Encoded_rows_are_stored_field_for_field_and_json_payloads_as_the_serializer_writes_them()
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        var orgId = $"org-ü-{Guid.NewGuid():N}";
        // Microsecond precision (what Postgres keeps), a non-UTC offset, and a time before 2000.
        var records = new List<LogRecord>
        {
            new(Guid.NewGuid(), orgId, "test_event", 3, "camera-é-1", new DateTimeOffset(2026, 11, 25, 3, 4, 5, TimeSpan.FromHours(2)).AddTicks(1234560),
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=x", Encoding.UTF8.GetBytes("{\"a\":1}")),
            new(Guid.NewGuid(), orgId, "test_event", 1, "camera-2", new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(10),
                null, null, Array.Empty<byte>()),
        };
        var track = new TrackUpdate
        {
            SchemaVersion = 1, SiteId = "site-1", CameraId = "camera-3", OccurredAt = new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero),
            TrackId = "t-1", ObjectClass = "person", Confidence = 0.5, Box = new BoundingBox(0.1, 0.2, 0.3, 0.4), Attributes = ["no_vest"],
        };
        var trackId = Guid.NewGuid();

        using (var rows = new LogRows(3, 256))
        {
            foreach (var record in records)
            {
                rows.Add(record);
            }
            rows.Add<Observation>(trackId, orgId, EventTypes.TrackUpdate, 1, track.CameraId, track.OccurredAt, null, null, track, AnalyticsJsonContext.Default.Observation);
            Assert.Equal(3, rows.Count);
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await PostgresEventLog.AppendAsync(connection, [rows], CancellationToken.None);
            await transaction.CommitAsync();
        }

        var stored = await platform.QueryAsync(
            "SELECT id, org_id, type, schema_version, camera_id, occurred_at, trace_parent, trace_state, payload FROM observation_log WHERE org_id = $1 ORDER BY seq",
            orgId,
            reader => new LogRecord(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetFieldValue<byte[]>(8)));

        Assert.Equal(3, stored.Count);
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal(records[i] with { Payload = default }, stored[i] with { Payload = default });
            Assert.Equal(records[i].Payload.ToArray(), stored[i].Payload.ToArray());
        }
        Assert.Equal(trackId, stored[2].Id);
        Assert.Equal((EventTypes.TrackUpdate, "camera-3", track.OccurredAt), (stored[2].Type, stored[2].CameraId, stored[2].OccurredAt));
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes<Observation>(track, AnalyticsJsonContext.Default.Observation), stored[2].Payload.ToArray());
    }

    [Fact]
    public void Created_ids_are_distinct_version_7_uuids_carrying_the_time()
    {
        var now = DateTimeOffset.UtcNow;
        var ids = new Guid[1000];

        LogRows.CreateIds(ids, now);

        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id =>
        {
            Assert.Equal(7, id.Version);
            Assert.Equal(0b10, id.Variant >> 2);
            var bytes = id.ToByteArray(bigEndian: true);
            var milliseconds = bytes.Take(6).Aggregate(0L, (value, b) => value << 8 | b);
            Assert.Equal(now.ToUnixTimeMilliseconds(), milliseconds);
        });
    }
}
