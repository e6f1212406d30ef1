using System.Net;
using System.Net.Http.Headers;
using Analytics.Ingest;
using Analytics.Schemas;
using Npgsql;
using Analytics.Data.Ingest;

namespace Analytics.Tests.Platform;

/// <summary>
/// A batch is stored once: sent again with its Idempotency-Key after it was committed (its answer
/// lost to a reset or a killed ingest), it is answered exactly as the first time and not appended
/// again, also after ingest restarts and also while the first is still being committed.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class IdempotentIngestTests(PlatformFixture platform)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_batch_sent_again_with_its_key_is_answered_as_the_first_time_and_stored_once()
    {
        var (orgId, apiKey) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Ingest, apiKey);
        var key = Guid.NewGuid().ToString();
        var body = Frames("cam-1", 3);

        var (firstStatus, firstBody, firstReplayed) = await PostAsync(client, body, key);
        // The answer was lost: the edge sends the same batch with the same key.
        var (againStatus, againBody, againReplayed) = await PostAsync(client, body, key);

        Assert.Equal(HttpStatusCode.OK, firstStatus);
        Assert.Equal((firstStatus, firstBody), (againStatus, againBody));
        Assert.Equal("""{"accepted":3}""", firstBody);
        Assert.Equal((false, true), (firstReplayed, againReplayed));
        Assert.Equal(3L, await LogRowsAsync(orgId));
        Assert.Equal(1, await platform.ScalarAsync<int>("SELECT replays FROM ingest_idempotency_keys WHERE org_id = $1", orgId));

        // Without a key, or with another one, the same bytes are a new batch: the key decides.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, body, key: null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, body, Guid.NewGuid().ToString())).Status);
        Assert.Equal(9L, await LogRowsAsync(orgId));
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_stores_nothing_while_another_organization_has_keys_of_its_own()
    {
        var (orgId, apiKey) = await platform.CreateOrganizationAsync();
        var (otherOrgId, otherApiKey) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Ingest, apiKey);
        using var other = platform.CreateClient(ResourceNames.Ingest, otherApiKey);
        var key = Guid.NewGuid().ToString();

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, Frames("cam-1", 2), key)).Status);
        using (var reused = await client.SendAsync(Request(Frames("cam-1", 3), key)))
        {
            var problem = await ProblemAssert.IsAsync(reused, HttpStatusCode.UnprocessableEntity);
            Assert.Contains("Idempotency-Key", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(other, Frames("cam-1", 3), key)).Status);

        Assert.Equal(2L, await LogRowsAsync(orgId));
        Assert.Equal(3L, await LogRowsAsync(otherOrgId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("key\twith-a-tab")]
    public async Task A_key_that_is_not_1_to_255_visible_ascii_characters_is_400_and_stores_nothing(string key)
    {
        var (orgId, apiKey) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Ingest, apiKey);
        using var request = Request(Frames("cam-1", 1), key: null);
        // Bypassing the client's own header checks, as any edge stack could.
        request.Headers.TryAddWithoutValidation(IdempotencyKeys.HeaderName, key);

        using var refused = await client.SendAsync(request);

        await ProblemAssert.IsAsync(refused, HttpStatusCode.BadRequest);
        Assert.Equal(0L, await LogRowsAsync(orgId));
        using var tooLong = await client.SendAsync(Request(Frames("cam-1", 1), new string('k', IdempotencyKeys.MaxKeyLength + 1)));
        await ProblemAssert.IsAsync(tooLong, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_repeat_sent_while_the_first_is_still_being_committed_waits_for_it_and_is_not_stored_twice()
    {
        var (orgId, apiKey) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Ingest, apiKey);
        var key = Guid.NewGuid().ToString();
        var body = Frames("cam-1", 4);
        // A first batch registers the camera's activity row, which the test then locks: the keyed
        // batch's round holds its key, uncommitted, while it waits to record the camera's activity.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, Frames("cam-1", 1, secondsBefore: 60), key: null)).Status);
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockCamera = new NpgsqlCommand("SELECT 1 FROM camera_activity WHERE org_id = $1 FOR UPDATE", connection, transaction))
        {
            lockCamera.Parameters.Add(new NpgsqlParameter { Value = orgId });
            Assert.Equal(1, await lockCamera.ExecuteScalarAsync());
        }

        var first = PostAsync(client, body, key);
        await WaitForIngestWaitingAsync("INSERT INTO camera_activity");
        // A round of its own (the first's is still open): its claim of the key must wait for the first's.
        var repeat = PostAsync(client, body, key);
        await WaitForIngestWaitingAsync("INSERT INTO ingest_idempotency_keys");
        await transaction.RollbackAsync();
        var answers = await Task.WhenAll(first, repeat).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, answers[0].Status);
        Assert.Equal((answers[0].Status, answers[0].Body), (answers[1].Status, answers[1].Body));
        Assert.Equal((false, true), (answers[0].Replayed, answers[1].Replayed));
        Assert.Equal(5L, await LogRowsAsync(orgId));
    }

    [Fact]
    public async Task A_batch_committed_before_ingest_was_killed_is_answered_from_the_database_after_its_restart_and_expired_keys_are_deleted()
    {
        var (orgId, apiKey) = await platform.CreateOrganizationAsync();
        var kept = Guid.NewGuid().ToString();
        var expired = Guid.NewGuid().ToString();
        var keptBody = Frames("cam-1", 3);
        var expiredBody = Frames("cam-2", 2);
        (HttpStatusCode Status, string Body, bool Replayed) first;
        using (var client = platform.CreateClient(ResourceNames.Ingest, apiKey))
        {
            first = await PostAsync(client, keptBody, kept);
            Assert.Equal(HttpStatusCode.OK, first.Status);
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, expiredBody, expired)).Status);
        }
        // One key as old as the retention and an hour: the cleanup at ingest's start must delete it.
        var retention = new IngestSettings().IdempotencyKeyRetentionHours;
        Assert.Equal(1, await platform.ExecuteAsync(
            $"UPDATE ingest_idempotency_keys SET created_at = now() - interval '{retention + 1} hours' WHERE org_id = $1 AND idempotency_key = '{expired}'", orgId));

        // Whatever ingest held in memory is gone; only the database remembers the key.
        var pid = await platform.KillAsync(ResourceNames.Ingest);
        await platform.StartAsync(ResourceNames.Ingest, pid);
        await Eventually.Until(
            () => platform.QueryAsync("SELECT idempotency_key FROM ingest_idempotency_keys WHERE org_id = $1", orgId, reader => reader.GetString(0)),
            keys => keys.Count == 1,
            "the expired key deleted by ingest's maintenance at start", Timeout);

        using var restarted = platform.CreateClient(ResourceNames.Ingest, apiKey);
        var again = await PostAsync(restarted, keptBody, kept);

        Assert.Equal((first.Status, first.Body, true), again);
        Assert.Equal(5L, await LogRowsAsync(orgId));
        Assert.Equal([kept], await platform.QueryAsync("SELECT idempotency_key FROM ingest_idempotency_keys WHERE org_id = $1", orgId, reader => reader.GetString(0)));
        // Past its retention a key is free again: the same batch with it is a new batch.
        var reused = await PostAsync(restarted, expiredBody, expired);
        Assert.Equal((HttpStatusCode.OK, false), (reused.Status, reused.Replayed));
        Assert.Equal(7L, await LogRowsAsync(orgId));
    }

    /// <summary>A camera's frames, ending a second ago, as one JSON array; the same arguments give the same bytes only within a test.</summary>
    private static string Frames(string camera, int count, int secondsBefore = 1)
    {
        var end = DateTimeOffset.UtcNow.AddSeconds(-secondsBefore);
        return "[" + string.Join(',', Enumerable.Range(0, count).Select(i =>
            TestObservations.Track(end.AddMilliseconds((i - count) * 100), "t-1", 0.2, 0.3, camera: camera))) + "]";
    }

    private static HttpRequestMessage Request(string body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/observations")
        {
            Content = new StringContent(body, new MediaTypeHeaderValue("application/json")),
        };
        if (key is not null)
        {
            request.Headers.Add(IdempotencyKeys.HeaderName, key);
        }
        return request;
    }

    private static async Task<(HttpStatusCode Status, string Body, bool Replayed)> PostAsync(HttpClient client, string body, string? key)
    {
        using var request = Request(body, key);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
    }

    /// <summary>The organization's observations in the log; the idle fallback's camera_idle entries (a restart outlasts its timeout) are not the batches'.</summary>
    private Task<long> LogRowsAsync(string orgId) =>
        platform.ScalarAsync<long>("SELECT count(*) FROM observation_log WHERE org_id = $1 AND type = 'track_update'", orgId);

    /// <summary>Waits until one of ingest's statements starting with <paramref name="statement"/> waits for a lock.</summary>
    private async Task WaitForIngestWaitingAsync(string statement)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await Eventually.Until(
            async () =>
            {
                await using var command = dataSource.CreateCommand(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND strpos(query, $1) > 0");
                command.Parameters.Add(new NpgsqlParameter { Value = statement });
                return (long)(await command.ExecuteScalarAsync())!;
            },
            waiting => waiting >= 1,
            $"an ingest statement '{statement}' waiting for a lock", Timeout);
    }
}
