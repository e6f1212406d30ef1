using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Analytics.Schemas;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// An affect sample's subject key is never stored: once a batch is committed and the education
/// service has read it, no table or column of the database holds any of its subject keys, while the
/// stored pseudonyms still group one subject's samples of one day.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class SubjectKeyPrivacyTests(PlatformFixture platform)
{
    private const int Subjects = 6;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task No_subject_key_is_stored_anywhere_and_pseudonyms_group_one_subjects_samples_of_one_day()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        using var client = platform.CreateClient(ResourceNames.Ingest, key);
        // Random, so nothing else in the database can hold them by chance; the zone proves the search finds what is there.
        var subjectKeys = Enumerable.Range(0, Subjects).Select(_ => $"subject-{Guid.NewGuid():N}").ToList();
        var zone = $"room-{Guid.NewGuid():N}";
        var now = DateTimeOffset.UtcNow;
        var yesterday = new DateTimeOffset(now.UtcDateTime.Date.AddHours(-12), TimeSpan.Zero);

        // Two samples of each subject today, one in a JSON array and one in NDJSON (ingest's two
        // readers), and one of each yesterday. Engagement tells the samples apart: subject * 10 + sample.
        var first = subjectKeys.Select((subject, i) => Affect(subject, zone, now, Engagement(i, 0)));
        var second = subjectKeys.Select((subject, i) => Affect(subject, zone, now, Engagement(i, 1)));
        var earlier = subjectKeys.Select((subject, i) => Affect(subject, zone, yesterday, Engagement(i, 2)));
        using (var array = await client.PostAsync("/v1/observations", new StringContent("[" + string.Join(',', earlier.Concat(first)) + "]", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, array.StatusCode);
        }
        using (var ndjson = await client.PostAsync("/v1/observations", new StringContent(string.Join('\n', second) + "\n", Encoding.UTF8, "application/x-ndjson")))
        {
            Assert.Equal(HttpStatusCode.OK, ndjson.StatusCode);
        }
        // 200 means committed; the education service reading them must not store a key either.
        await WaitForEducationPastAsync(orgId);

        var found = await FindAsync([.. subjectKeys, zone]);

        Assert.Contains(found, hit => hit.Value == zone && hit.Table.StartsWith("observation_log", StringComparison.Ordinal) && hit.Column == "payload");
        Assert.DoesNotContain(found, hit => hit.Value != zone);

        var stored = await platform.QueryAsync(
            "SELECT payload FROM observation_log WHERE org_id = $1 AND type = 'affect_telemetry'", orgId,
            reader => JsonDocument.Parse(reader.GetFieldValue<byte[]>(0)).RootElement.Clone());
        Assert.Equal(Subjects * 3, stored.Count);
        var pseudonyms = stored.ToDictionary(
            payload => (int)Math.Round(payload.GetProperty("engagement").GetDouble() * 100),
            payload => payload.GetProperty("subjectKey").GetString()!);
        Assert.All(pseudonyms.Values, pseudonym => Assert.Matches("^p_[0-9a-f]{32}$", pseudonym));
        for (var i = 0; i < Subjects; i++)
        {
            Assert.Equal(pseudonyms[i * 10], pseudonyms[i * 10 + 1]);
            Assert.NotEqual(pseudonyms[i * 10], pseudonyms[i * 10 + 2]);
        }
        Assert.Equal(Subjects, Enumerable.Range(0, Subjects).Select(i => pseudonyms[i * 10]).Distinct().Count());
        Assert.Equal(Subjects, Enumerable.Range(0, Subjects).Select(i => pseudonyms[i * 10 + 2]).Distinct().Count());
    }

    [Fact]
    public async Task A_batch_whose_subject_secret_cannot_be_had_is_503_with_retry_after_and_nothing_of_it_is_stored()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        using var client = platform.CreateClient(ResourceNames.Ingest, key);
        var now = DateTimeOffset.UtcNow;
        var body = "[" + TestObservations.Track(now, "t-1", 0.1, 0.1) + "," + Affect("slot-1", "room-1", now, 0.5) + "]";

        // A fresh organization's secret is not in ingest's memory: while creating it fails with a
        // fault a retry can fix (a serialization failure), it cannot be had.
        await using (await DatabaseFault.InjectAsync(platform, "subject_key_secrets", orgId, "40001"))
        {
            using var refused = await client.PostAsync("/v1/observations", new StringContent(body, Encoding.UTF8, "application/json"));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        Assert.Empty(await platform.QueryAsync("SELECT id FROM observation_log WHERE org_id = $1", orgId, reader => reader.GetGuid(0)));

        using var accepted = await client.PostAsync("/v1/observations", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(2, (await platform.QueryAsync("SELECT id FROM observation_log WHERE org_id = $1", orgId, reader => reader.GetGuid(0))).Count);
    }

    private static double Engagement(int subject, int sample) => (subject * 10 + sample) / 100.0;

    private static string Affect(string subjectKey, string zone, DateTimeOffset at, double engagement) =>
        string.Create(CultureInfo.InvariantCulture,
            $$"""{"type":"affect_telemetry","schemaVersion":1,"siteId":"school-1","cameraId":"cam-1","occurredAt":"{{at:O}}","zoneId":"{{zone}}","subjectKey":"{{subjectKey}}","engagement":{{engagement}},"valence":-0.2,"arousal":0.5,"confidence":0.8}""");

    private sealed record Hit(string Table, string Column, string Value);

    /// <summary>
    /// Every place in the database that holds one of <paramref name="values"/>: each column of each
    /// table in the public schema (each partition of a partitioned one), bytea searched as bytes, the
    /// rest cast to text.
    /// </summary>
    private async Task<List<Hit>> FindAsync(string[] values)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        var columns = new List<(string Table, string Column, bool Bytes)>();
        await using (var command = dataSource.CreateCommand("""
            SELECT c.oid::regclass::text, quote_ident(a.attname), a.atttypid = 'bytea'::regtype
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')
            ORDER BY 1, a.attnum
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2)));
            }
        }
        var hits = new List<Hit>();
        foreach (var (table, column, bytes) in columns)
        {
            var match = bytes ? $"position(convert_to(v, 'UTF8') in t.{column}) > 0" : $"strpos(t.{column}::text, v) > 0";
            await using var command = dataSource.CreateCommand(
                $"SELECT v FROM unnest($1::text[]) AS v WHERE EXISTS (SELECT 1 FROM {table} AS t WHERE {match})");
            command.Parameters.Add(new NpgsqlParameter { Value = values });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                hits.Add(new Hit(table, column, reader.GetString(0)));
            }
        }
        return hits;
    }

    private Task<List<bool?>> WaitForEducationPastAsync(string orgId)
    {
        const string Sql = """
            SELECT (SELECT (tx_id, seq) FROM consumer_checkpoints WHERE consumer = 'education')
                >= (SELECT (tx_id, seq) FROM observation_log WHERE org_id = $1 ORDER BY tx_id DESC, seq DESC LIMIT 1)
            """;
        return Eventually.Until(
            () => platform.QueryAsync(Sql, orgId, reader => reader.IsDBNull(0) ? (bool?)null : reader.GetBoolean(0)),
            rows => rows is [true], "education's checkpoint past the org's observations", Timeout);
    }
}
