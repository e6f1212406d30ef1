// Ingest throughput, measured with the whole platform running from the real AppHost:
//   1. HTTP: concurrent edge clients POST batches to ingest for a while; the figure is the
//      observations ingest answered 2xx for (each one committed) per second, checked against the
//      rows that landed in the log.
//   2. Raw: the same records appended straight into the same table with binary COPY, in the
//      same run, as the ceiling ingest is compared against.
//   Each phase first runs 10 s of the same load unmeasured (warm-up).
//
//   dotnet run -c Release --project bench/Analytics.Ingest.Benchmarks -- [seconds] [clients] [batch]
//   dotnet run -c Release --project bench/Analytics.Ingest.Benchmarks -- latency [seconds] [observations/s]
//      (see LatencyBenchmark.cs)
//   dotnet run -c Release --project bench/Analytics.Ingest.Benchmarks -- catchup [rows]
//      (see CatchupBenchmark.cs)
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Analytics.EventLog;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Tenancy;
using Aspire.Hosting.Testing;
using Npgsql;

if (args is ["catchup", ..])
{
    await CatchupBenchmark.RunAsync(args[1..]);
    return;
}

var latencyMode = args.Length > 0 && args[0] == "latency";
if (latencyMode)
{
    args = args[1..];
}
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
var batchSize = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
const int WarmUpSeconds = 10;

var dataDirectory = Path.Combine(Path.GetTempPath(), $"analytics-bench-{Guid.NewGuid():N}");
var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(
    ["Postgres:Mode=local", "Simulator:Enabled=false", $"Postgres:DataDirectory={dataDirectory}"]);
await using var app = await builder.BuildAsync();
using (var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
{
    await app.StartAsync(startup.Token);
    await app.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Ingest, startup.Token);
}

await using var dataSource = NpgsqlDataSource.Create((await app.GetConnectionStringAsync(ResourceNames.Database))!);
var orgId = $"bench-{Guid.NewGuid():N}";
var apiKey = ApiKeys.Generate();
await using (var seed = dataSource.CreateBatch())
{
    seed.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO organizations (org_id, name) VALUES ($1, $1)") { Parameters = { new() { Value = orgId } } });
    seed.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO api_keys (key_hash, org_id, name, prefix, scopes) VALUES ($1, $2, 'bench', 'ak_', '{ingest,read,write,admin}')") { Parameters = { new() { Value = ApiKeys.Hash(apiKey) }, new() { Value = orgId } } });
    await seed.ExecuteNonQueryAsync();
}

if (latencyMode)
{
    var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
    await LatencyBenchmark.RunAsync(app, dataSource, orgId, apiKey, seconds, rate);
    await app.StopAsync();
    return;
}

// Realistic track updates: 20 cameras, moving boxes, some with attributes.
var observations = Enumerable.Range(0, batchSize).Select(i => (Observation)new TrackUpdate
{
    SchemaVersion = 1,
    SiteId = "site-1",
    CameraId = $"cam-{i % 20}",
    OccurredAt = DateTimeOffset.UtcNow,
    TrackId = $"t-{i}",
    ObjectClass = "person",
    Confidence = 0.9,
    Box = new BoundingBox(0.1 + (i % 50) / 100.0, 0.2, 0.1, 0.3),
    Attributes = i % 10 == 0 ? ["no_helmet"] : [],
}).ToArray();
var body = JsonSerializer.SerializeToUtf8Bytes(observations, AnalyticsJsonContext.Default.ObservationArray);
Console.WriteLine($"batch: {batchSize} observations, {body.Length / batchSize} bytes each on the wire; {clients} clients; {seconds} s");

// 1. Through ingest: first a warm-up of the same load, unmeasured, so the figures are those of a
// running service (tiered JIT done, pools filled) rather than of its first seconds.
var warmUp = await PostForAsync(TimeSpan.FromSeconds(WarmUpSeconds));
var (accepted, refused, latencies, httpElapsed) = await PostForAsync(TimeSpan.FromSeconds(seconds));
var httpEnded = Stopwatch.StartNew();

await using (var count = dataSource.CreateCommand("SELECT count(*) FROM observation_log WHERE org_id = $1"))
{
    count.Parameters.Add(new NpgsqlParameter { Value = orgId });
    var stored = (long)(await count.ExecuteScalarAsync())!;
    if (stored != warmUp.Accepted + accepted)
    {
        throw new InvalidOperationException($"ingest answered 2xx for {warmUp.Accepted + accepted} observations but {stored} are in the log");
    }
}

// Accepted is not yet sustained: the rule services read everything ingest commits, on the same two
// cores. How long after the measured phase they have read all of it says whether they kept up.
var caughtUp = await RuleServicesCaughtUpAsync(httpEnded, TimeSpan.FromMinutes(2));

// 2. Raw COPY of the same records into the same table, one writer, large batches.
var payloads = observations.Select(o => JsonSerializer.SerializeToUtf8Bytes(o, AnalyticsJsonContext.Default.Observation)).ToArray();
var rawOrg = orgId + "-raw";
var rawBatch = Enumerable.Range(0, 20_000).Select(i =>
{
    var o = observations[i % batchSize];
    return new LogRecord(Guid.CreateVersion7(), rawOrg, EventTypes.TrackUpdate, 1, o.CameraId, o.OccurredAt, null, null, payloads[i % batchSize]);
}).ToArray();
var log = new PostgresEventLog(dataSource);
await CopyForAsync(TimeSpan.FromSeconds(WarmUpSeconds));
var (raw, rawElapsed) = await CopyForAsync(TimeSpan.FromSeconds(seconds));

latencies.Sort();
double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(p * latencies.Count) - 1)];
var httpRate = accepted / httpElapsed;
var rawRate = raw / rawElapsed;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"ingest (HTTP, committed): {httpRate,10:N0} observations/s  ({accepted:N0} in {httpElapsed:F1} s after {WarmUpSeconds} s of warm-up, {refused} batches refused; batch latency p50 {Percentile(0.5):F0} ms, p99 {Percentile(0.99):F0} ms)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"raw COPY, same table:     {rawRate,10:N0} rows/s          ({raw:N0} in {rawElapsed:F1} s after {WarmUpSeconds} s of warm-up)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio ingest / raw: {httpRate / rawRate:F2}"));
Console.WriteLine(caughtUp is { } lag
    ? string.Create(CultureInfo.InvariantCulture, $"rule services (antitheft, safety, education) had read every ingested observation {lag.TotalSeconds:F1} s after the measured phase ended")
    : "rule services had NOT read every ingested observation 2 minutes after the measured phase ended");

await app.StopAsync();
if (Directory.Exists(dataDirectory))
{
    Directory.Delete(dataDirectory, recursive: true);
}

// Concurrent edge clients POST the batch until the time is up.
async Task<(long Accepted, long Refused, List<double> Latencies, double Seconds)> PostForAsync(TimeSpan duration)
{
    long accepted = 0, refused = 0;
    var latencies = new List<double>();
    var deadline = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        using var client = app.CreateHttpClient(ResourceNames.Ingest);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var mine = new List<double>();
        while (deadline.Elapsed < duration)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var sent = Stopwatch.GetTimestamp();
            using var response = await client.PostAsync("/v1/observations", content);
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Add(ref accepted, batchSize);
                mine.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
            else
            {
                Interlocked.Increment(ref refused);
            }
        }
        lock (latencies)
        {
            latencies.AddRange(mine);
        }
    }));
    return (accepted, refused, latencies, deadline.Elapsed.TotalSeconds);
}

// How long since the measured phase ended until the rule services' checkpoints reach the newest
// observation of the bench's organization (null past the limit). A benchmark's poll, not a test's
// wait: a sleep is fine here.
async Task<TimeSpan?> RuleServicesCaughtUpAsync(Stopwatch clock, TimeSpan limit)
{
    await using var newest = dataSource.CreateCommand("SELECT tx_id, seq FROM observation_log WHERE org_id = $1 ORDER BY tx_id DESC, seq DESC LIMIT 1");
    newest.Parameters.Add(new NpgsqlParameter { Value = orgId });
    ulong txId;
    long seq;
    await using (var reader = await newest.ExecuteReaderAsync())
    {
        if (!await reader.ReadAsync())
        {
            return TimeSpan.Zero;
        }
        (txId, seq) = (reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
    }
    await using var readersPast = dataSource.CreateCommand(
        "SELECT count(*) FROM consumer_checkpoints WHERE consumer = ANY($1) AND (tx_id, seq) >= ($2::xid8, $3)");
    readersPast.Parameters.Add(new NpgsqlParameter { Value = new[] { ResourceNames.Antitheft, ResourceNames.Safety, ResourceNames.Education } });
    readersPast.Parameters.Add(new NpgsqlParameter { Value = txId.ToString(CultureInfo.InvariantCulture) });
    readersPast.Parameters.Add(new NpgsqlParameter { Value = seq });
    while (clock.Elapsed < limit)
    {
        if ((long)(await readersPast.ExecuteScalarAsync())! == 3)
        {
            return clock.Elapsed;
        }
        await Task.Delay(100);
    }
    return null;
}

// One writer appends large batches of the same records straight into the log until the time is up.
async Task<(long Rows, double Seconds)> CopyForAsync(TimeSpan duration)
{
    long rows = 0;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < duration)
    {
        await log.AppendAsync(rawBatch, CancellationToken.None);
        rows += rawBatch.Length;
    }
    return (rows, clock.Elapsed.TotalSeconds);
}
