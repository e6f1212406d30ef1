using System.Net;
using System.Text.RegularExpressions;
using Analytics.Schemas;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Analytics.Tests.Platform;

/// <summary>
/// Ingest tells an edge device to retry only what a retry can fix: a transient database fault is
/// 503 with Retry-After, a bug is 500 problem+json with the trace id to report, logged as an error.
/// Either way nothing of the batch is stored.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed partial class IngestFaultTests(PlatformFixture platform, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_transient_database_fault_is_503_with_retry_after_and_the_batch_is_taken_when_sent_again()
    {
        var (orgId, apiKey) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Ingest, apiKey);
        var frames = Frames(3);

        await using (await DatabaseFault.InjectAsync(platform, "camera_activity", orgId, "40001"))
        {
            using var refused = await client.PostAsync("/v1/observations", TestObservations.Batch(frames));

            await ProblemAssert.IsAsync(refused, HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        Assert.Equal(0L, await LogRowsAsync(orgId));

        using var accepted = await client.PostAsync("/v1/observations", TestObservations.Batch(frames));

        await ProblemAssert.SucceededAsync(accepted);
        Assert.Equal(3L, await LogRowsAsync(orgId));
    }

    [Fact]
    public async Task A_bug_is_500_problem_with_the_trace_id_never_503_and_is_logged_as_an_error()
    {
        var (orgId, apiKey) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(ResourceNames.Ingest, apiKey);

        // A check violation: a broken invariant, which no retry of the batch can mend.
        await using (var fault = await DatabaseFault.InjectAsync(platform, "camera_activity", orgId, "23514"))
        {
            using var failed = await client.PostAsync("/v1/observations", TestObservations.Batch(Frames(3)));

            var problem = await ProblemAssert.IsAsync(failed, HttpStatusCode.InternalServerError);
            Assert.Null(failed.Headers.RetryAfter);
            Assert.Matches(TraceParent(), problem.GetProperty("traceId").GetString());
            Assert.Matches(ErrorEntryWith(fault.Message), await LoggedAsync(ResourceNames.Ingest, fault.Message));
        }
        Assert.Equal(0L, await LogRowsAsync(orgId));
    }

    private static List<string> Frames(int count)
    {
        var end = DateTimeOffset.UtcNow.AddSeconds(-1);
        return [.. Enumerable.Range(0, count).Select(i => TestObservations.Track(end.AddMilliseconds((i - count) * 100), "t-1", 0.2, 0.3))];
    }

    private Task<long> LogRowsAsync(string orgId) =>
        platform.ScalarAsync<long>("SELECT count(*) FROM observation_log WHERE org_id = $1 AND type = 'track_update'", orgId);

    /// <summary>
    /// The resource's console log, colours and the orchestrator's timestamps removed, up to the
    /// first line that holds <paramref name="text"/> and a few lines after it.
    /// </summary>
    private async Task<string> LoggedAsync(string resource, string text)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var lines = new List<string>();
        var after = -1;
        // By the resource, not its name: the orchestrator names each run of it (a restart too) apart.
        var watched = platform.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resource);
        await foreach (var batch in platform.App.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(watched).WithCancellation(cts.Token))
        {
            foreach (var line in batch)
            {
                var content = Plain().Replace(line.Content, "");
                lines.Add(content);
                output.WriteLine(content);
                if (after < 0 && content.Contains(text, StringComparison.Ordinal))
                {
                    after = lines.Count;
                }
            }
            if (after >= 0 && lines.Count >= after + 5)
            {
                break;
            }
        }
        return string.Join('\n', lines);
    }

    /// <summary>An entry at error level (the console's <c>fail</c>) whose message or exception, within a few lines, holds <paramref name="text"/>.</summary>
    private static Regex ErrorEntryWith(string text) => new($@"(?m)^fail: [^\n]*\n(?:[^\n]*\n){{0,3}}[^\n]*{Regex.Escape(text)}");

    [GeneratedRegex("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$")]
    private static partial Regex TraceParent();

    /// <summary>Terminal colour codes, and the timestamp the orchestrator puts in front of each line.</summary>
    [GeneratedRegex(@"\x1b\[[0-9;]*m|^\S+Z ")]
    private static partial Regex Plain();
}
