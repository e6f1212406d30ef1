using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// Rate limits through the real AppHost: an organization given a tiny override in
/// <c>rate_limit_overrides</c> (as the operator would, as the database owner) is answered 429
/// problem+json with <c>Retry-After</c> once the service has read it, counted on the service's
/// <c>/metrics</c>; at the same moment another organization, or another key of the same
/// organization, is served. Every test limits only organizations of its own.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class RateLimitTests(PlatformFixture platform)
{
    private const string Metric = "analytics_requests_rate_limited_total";

    public static TheoryData<string> Services => new() { ResourceNames.Api, ResourceNames.Ingest };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task An_organization_over_its_limit_gets_429_with_retry_after_while_another_organization_is_served(string service)
    {
        var (limited, limitedKey) = await platform.CreateOrganizationAsync();
        var (other, otherKey) = await platform.CreateOrganizationAsync();
        await platform.ExecuteAsync(
            $"INSERT INTO rate_limit_overrides (org_id, service, org_tokens_per_second, org_burst) VALUES ($1, '{service}', 1, 2)", limited);
        using var client = platform.CreateClient(service, limitedKey);
        using var otherClient = platform.CreateClient(service, otherKey);

        // Served at the configured limits until the service has read the override; then the burst
        // of 2 is soon spent, far faster than one token a second comes back.
        var served = 0;
        var refused = await Eventually.Until(
            async () =>
            {
                var answer = await SendAsync(client, service);
                served += answer.Status == HttpStatusCode.OK ? 1 : 0;
                return answer;
            },
            answer => answer.Status != HttpStatusCode.OK,
            $"{service} to apply the override of {limited}");

        var problem = AssertRateLimited(refused, "organization");
        Assert.StartsWith($"Your organization has sent more requests to {service} than its rate limit of 1 per second (bursts of 2) allows",
            problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The other organization, at once: not held back at all.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(otherClient, service)).Status);
        }

        if (service == ResourceNames.Ingest)
        {
            // Nothing of a refused batch was stored: every stored row is of a batch answered 200.
            Assert.Equal(served, await platform.ScalarAsync<long>("SELECT count(*) FROM observation_log WHERE org_id = $1", limited));
        }

        var scrape = await ScrapeCountingAsync(service, limited, "organization");
        Assert.Equal(0, Count(scrape, service, other, "organization") + Count(scrape, service, other, "key"));
    }

    [Fact]
    public async Task A_key_over_its_limit_gets_429_while_another_key_of_its_organization_is_served()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        // The second key made through the API, before the first key's limit is lowered.
        string secondKey;
        using (var api = platform.CreateClient(ResourceNames.Api, key))
        using (var created = await api.PostAsJsonAsync("/v1/api-keys", new { name = "second", scopes = new[] { "read" } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            secondKey = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        }
        await platform.ExecuteAsync(
            "INSERT INTO rate_limit_overrides (org_id, service, key_tokens_per_second, key_burst) VALUES ($1, 'api', 1, 2)", orgId);
        using var client = platform.CreateClient(ResourceNames.Api, key);
        using var secondClient = platform.CreateClient(ResourceNames.Api, secondKey);

        var refused = await Eventually.Until(
            () => SendAsync(client, ResourceNames.Api),
            answer => answer.Status != HttpStatusCode.OK,
            $"the API to apply the key override of {orgId}");

        var problem = AssertRateLimited(refused, "key");
        Assert.StartsWith("This API key (or user) has sent more requests to api than its rate limit of 1 per second (bursts of 2) allows",
            problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The second key has a bucket of its own, full: its burst is served at once.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(secondClient, ResourceNames.Api)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(secondClient, ResourceNames.Api)).Status);

        var scrape = await ScrapeCountingAsync(ResourceNames.Api, orgId, "key");
        Assert.Equal(0, Count(scrape, ResourceNames.Api, orgId, "organization"));
    }

    [Fact]
    public async Task Ingest_and_the_api_read_every_organizations_overrides_only_through_their_function()
    {
        var (first, _) = await platform.CreateOrganizationAsync();
        var (second, _) = await platform.CreateOrganizationAsync();
        await platform.ExecuteAsync("INSERT INTO rate_limit_overrides (org_id, service, org_tokens_per_second, org_burst) VALUES ($1, 'api', 1000, 1000)", first);
        await platform.ExecuteAsync("INSERT INTO rate_limit_overrides (org_id, service, key_tokens_per_second, key_burst) VALUES ($1, 'api', 1000, 1000)", second);
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        async Task<PostgresException?> AsRoleAsync(string role, string sql, List<string>? rows = null)
        {
            await using (var become = new NpgsqlCommand($"SAVEPOINT attempt; RESET ROLE; SET LOCAL ROLE {role}", connection))
            {
                await become.ExecuteNonQueryAsync();
            }
            try
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    rows?.Add(reader.GetString(0));
                }
                return null;
            }
            catch (PostgresException refused)
            {
                await using var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT attempt", connection);
                await rollback.ExecuteNonQueryAsync();
                return refused;
            }
        }

        // Under no organization, as at start-up: every organization's limits of the service asked for.
        foreach (var role in new[] { DatabaseRoles.Api, DatabaseRoles.Ingest })
        {
            var seen = new List<string>();
            Assert.Null(await AsRoleAsync(role, "SELECT org_id FROM analytics_rate_limit_overrides('api')", seen));
            Assert.Contains(first, seen);
            Assert.Contains(second, seen);
            // The table itself is the operator's: no service reads or writes it.
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await AsRoleAsync(role, "SELECT org_id FROM rate_limit_overrides"))?.SqlState);
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege,
                (await AsRoleAsync(role, $"UPDATE rate_limit_overrides SET org_burst = 1000000 WHERE org_id = '{first}' RETURNING org_id"))?.SqlState);
        }
        // No other service has any business with them.
        foreach (var role in new[] { DatabaseRoles.Rules, DatabaseRoles.Fusion, DatabaseRoles.Notifier, DatabaseRoles.Identity, DatabaseRoles.IngestHousekeeping })
        {
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await AsRoleAsync(role, "SELECT org_id FROM analytics_rate_limit_overrides('api')"))?.SqlState);
        }
        await transaction.RollbackAsync();
    }

    /// <summary>A 429 problem naming <paramref name="limit"/>, with a whole number of seconds to wait.</summary>
    private static JsonElement AssertRateLimited(Answer refused, string limit)
    {
        Assert.True(refused.Status == HttpStatusCode.TooManyRequests, $"Expected 429, was {(int)refused.Status}: {refused.Body}");
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.NotNull(refused.RetryAfter);
        Assert.True(int.TryParse(refused.RetryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 1,
            $"Retry-After must be whole seconds, at least 1; was '{refused.RetryAfter}'");
        var problem = JsonDocument.Parse(refused.Body).RootElement.Clone();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
        Assert.Equal(limit, problem.GetProperty("limit").GetString());
        Assert.Contains("Retry-After", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        return problem;
    }

    /// <summary>One request an edge device or operator would make of <paramref name="service"/>.</summary>
    private static async Task<Answer> SendAsync(HttpClient client, string service)
    {
        using var response = service == ResourceNames.Ingest
            ? await client.PostAsync("/v1/observations", TestObservations.Batch([TestObservations.Track(DateTimeOffset.UtcNow, "t-1", 0.2, 0.3)]))
            : await client.GetAsync("/v1/sites");
        return new Answer(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.TryGetValues("Retry-After", out var retryAfter) ? string.Join(",", retryAfter) : null,
            await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The service's <c>/metrics</c> once it counts a refusal of <paramref name="orgId"/> at
    /// <paramref name="limit"/> (the exporter caches a scrape briefly, so a count may show one scrape later).
    /// </summary>
    private async Task<string> ScrapeCountingAsync(string service, string orgId, string limit)
    {
        using var client = platform.CreateClient(service);
        return await Eventually.Until(
            () => client.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            scrape => Count(scrape, service, orgId, limit) >= 1,
            $"{service}'s /metrics to count a refusal of {orgId} at its {limit} limit");
    }

    /// <summary>The value of the metric's series for the organization and limit in a Prometheus text scrape; 0 without one.</summary>
    private static double Count(string scrape, string service, string orgId, string limit) =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(Metric + "{", StringComparison.Ordinal)
                && line.Contains($"service=\"{service}\"", StringComparison.Ordinal)
                && line.Contains($"org_id=\"{orgId}\"", StringComparison.Ordinal)
                && line.Contains($"limit=\"{limit}\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));

    private sealed record Answer(HttpStatusCode Status, string? ContentType, string? RetryAfter, string Body);
}
