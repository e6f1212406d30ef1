// Fusion throughput, measured with the whole platform running from the real AppHost, beside
// Prometheus Alertmanager receiving the same signals as alerts in the same run:
//   1. Fusion: N signals of G groups (site, zone, kind) are committed to the signal log in one
//      transaction; the figure is signals per second from that commit until fusion's checkpoint
//      has passed the last one, i.e. every signal durably folded into an incident (incident
//      events, projection rows and checkpoint committed).
//   2. Alertmanager: the same signals POSTed as alerts to /api/v2/alerts by concurrent clients,
//      routed with group_by on the same labels; the figure is alerts accepted per second
//      (Alertmanager keeps them in memory only).
//   Both first take a warm-up burst of N/10 signals of another organization, unmeasured, so the
//   figures are those of running services rather than of just-in-time compilation and first
//   queries; the measured signals then find their groups new, as in the warm-up.
//
//   dotnet run -c Release --project bench/Analytics.Fusion.Benchmarks -- [signals] [groups] [clients]
//   needs Debian's prometheus-alertmanager (apt-get install prometheus-alertmanager)
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Aspire.Hosting.Testing;
using Npgsql;
using NpgsqlTypes;

var signalCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
var groupCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000;
var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4;
const int AlertBatch = 500;

var alertmanager = FindAlertmanager()
    ?? throw new InvalidOperationException("prometheus-alertmanager is not installed: apt-get install prometheus-alertmanager");

var dataDirectory = Path.Combine(Path.GetTempPath(), $"analytics-bench-{Guid.NewGuid():N}");
var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Analytics_AppHost>(
    ["Postgres:Mode=local", "Simulator:Enabled=false", $"Postgres:DataDirectory={dataDirectory}"]);
await using var app = await builder.BuildAsync();
using (var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
{
    await app.StartAsync(startup.Token);
    await app.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Fusion, startup.Token);
}
await using var dataSource = NpgsqlDataSource.Create((await app.GetConnectionStringAsync(ResourceNames.Database))!);
var warmUp = await SignalsOfNewOrganizationAsync(Math.Max(signalCount / 10, 1));
var measured = await SignalsOfNewOrganizationAsync(signalCount);
var orgId = measured[0].OrgId;
Console.WriteLine($"{signalCount} signals in {groupCount} groups; {clients} Alertmanager clients, {AlertBatch} alerts per request");

// 1. Fusion.
await FoldAsync(warmUp);
var fusionSeconds = await FoldAsync(measured);
long incidents, events;
await using (var count = dataSource.CreateCommand("SELECT (SELECT count(*) FROM incidents WHERE org_id = $1), (SELECT count(*) FROM incident_events WHERE org_id = $1)"))
{
    count.Parameters.Add(new NpgsqlParameter { Value = orgId });
    await using var reader = await count.ExecuteReaderAsync();
    await reader.ReadAsync();
    (incidents, events) = (reader.GetInt64(0), reader.GetInt64(1));
}
var fusionRate = signalCount / fusionSeconds;

// 2. Alertmanager, same machine, same run, while the platform keeps running.
var port = FreePort();
var workDirectory = Directory.CreateTempSubdirectory("alertmanager-bench-");
var config = Path.Combine(workDirectory.FullName, "alertmanager.yml");
await File.WriteAllTextAsync(config, """
    route:
      receiver: "null"
      group_by: [org, site, zone, alertname]
      group_wait: 30s
      group_interval: 5m
    receivers:
      - name: "null"
    """);
using var alertmanagerProcess = Process.Start(new ProcessStartInfo(alertmanager,
    [$"--config.file={config}", $"--storage.path={workDirectory.FullName}", $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="])
{
    RedirectStandardError = true,
    RedirectStandardOutput = true,
})!;
alertmanagerProcess.ErrorDataReceived += (_, _) => { };
alertmanagerProcess.BeginErrorReadLine();
alertmanagerProcess.BeginOutputReadLine();
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
for (var ready = Stopwatch.StartNew(); ; await Task.Delay(100))
{
    try
    {
        if ((await http.GetAsync("/-/ready")).IsSuccessStatusCode)
        {
            break;
        }
    }
    catch (HttpRequestException) when (ready.Elapsed < TimeSpan.FromSeconds(30))
    {
    }
}
await PostAlertsAsync(AlertBodies(warmUp));
var bodies = AlertBodies(measured);
var alertClock = Stopwatch.StartNew();
await PostAlertsAsync(bodies);
var alertSeconds = alertClock.Elapsed.TotalSeconds;
var alertRate = signalCount / alertSeconds;
alertmanagerProcess.Kill();
await alertmanagerProcess.WaitForExitAsync();
workDirectory.Delete(recursive: true);

Console.WriteLine();
Console.WriteLine($"| | signals/s | |");
Console.WriteLine($"|---|---|---|");
Console.WriteLine(Invariant($"| fusion, durably folded into incidents | {fusionRate:N0} | {signalCount} signals in {fusionSeconds:F2} s; {incidents} incidents, {events} incident events |"));
Console.WriteLine(Invariant($"| Alertmanager, alerts accepted (in memory) | {alertRate:N0} | {signalCount} alerts in {alertSeconds:F2} s |"));
Console.WriteLine(Invariant($"| ratio fusion / Alertmanager | {fusionRate / alertRate:F2} | |"));

await app.StopAsync();
try
{
    Directory.Delete(dataDirectory, recursive: true);
}
catch (IOException)
{
}

// Signals as the rule services write them: G groups (zone x kind on one site), each receiving a
// signal every 20 s of event time, so they join that group's open incident.
async Task<List<Signal>> SignalsOfNewOrganizationAsync(int count)
{
    var org = $"bench-{Guid.NewGuid():N}";
    await using (var seed = dataSource.CreateCommand("INSERT INTO organizations (org_id, name) VALUES ($1, $1)"))
    {
        seed.Parameters.Add(new NpgsqlParameter { Value = org });
        await seed.ExecuteNonQueryAsync();
    }
    var start = DateTimeOffset.UtcNow.AddHours(-2);
    start = new DateTimeOffset(start.Ticks - start.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
    string[] kinds = ["loitering", "intrusion", "running", "missing_ppe"];
    return Enumerable.Range(0, count).Select(i =>
    {
        var group = i % groupCount;
        var at = start.AddSeconds(20 * (i / groupCount));
        return new Signal
        {
            Id = $"sig-{i:D8}",
            OrgId = org,
            Domain = Domain.Antitheft,
            Kind = kinds[group % kinds.Length],
            Severity = Severity.Medium,
            Confidence = 0.9,
            SiteId = "site-1",
            CameraId = $"cam-{group % 200}",
            ZoneId = $"zone-{group}",
            TrackIds = [$"t-{i}"],
            StartedAt = at,
            EndedAt = at.AddSeconds(5),
            Evidence = new Evidence { Measurements = new Dictionary<string, double> { ["dwellSeconds"] = 5 } },
            SchemaVersion = 1,
        };
    }).ToList();
}

// Commits the signals in one transaction and returns the seconds until fusion's checkpoint passed the last.
async Task<double> FoldAsync(List<Signal> signals)
{
    await using (var connection = await dataSource.OpenConnectionAsync())
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY signals (org_id, signal_id, domain, kind, severity, confidence, site_id, camera_id, zone_id, track_ids, started_at, ended_at, document) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var s in signals)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(s.OrgId, NpgsqlDbType.Text);
                await writer.WriteAsync(s.Id, NpgsqlDbType.Text);
                await writer.WriteAsync("antitheft", NpgsqlDbType.Text);
                await writer.WriteAsync(s.Kind, NpgsqlDbType.Text);
                await writer.WriteAsync("medium", NpgsqlDbType.Text);
                await writer.WriteAsync(s.Confidence, NpgsqlDbType.Double);
                await writer.WriteAsync(s.SiteId, NpgsqlDbType.Text);
                await writer.WriteAsync(s.CameraId, NpgsqlDbType.Text);
                await writer.WriteAsync(s.ZoneId!, NpgsqlDbType.Text);
                await writer.WriteAsync(s.TrackIds.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
                await writer.WriteAsync(s.StartedAt, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(s.EndedAt, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(JsonSerializer.Serialize(s, AnalyticsJsonContext.Default.Signal), NpgsqlDbType.Jsonb);
            }
            await writer.CompleteAsync();
        }
        await using (var notify = new NpgsqlCommand("SELECT pg_notify('signals', '')", connection))
        {
            await notify.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }
    var clock = Stopwatch.StartNew();
    await using var last = dataSource.CreateCommand(
        """
        SELECT c.tx_id >= s.tx_id AND (c.tx_id > s.tx_id OR c.seq >= s.seq)
        FROM consumer_checkpoints c, (SELECT tx_id, seq FROM signals WHERE org_id = $1 ORDER BY tx_id DESC, seq DESC LIMIT 1) s
        WHERE c.consumer = 'fusion'
        """);
    last.Parameters.Add(new NpgsqlParameter { Value = signals[0].OrgId });
    // Polling only measures here; its 10 ms resolution is small against the run.
    while (await last.ExecuteScalarAsync() is not true)
    {
        await Task.Delay(10);
    }
    return clock.Elapsed.TotalSeconds;
}

List<byte[]> AlertBodies(List<Signal> signals) => signals.Chunk(AlertBatch).Select(chunk => Encoding.UTF8.GetBytes(new JsonArray(chunk.Select(s => (JsonNode)new JsonObject
{
    ["labels"] = new JsonObject
    {
        ["alertname"] = s.Kind,
        ["org"] = s.OrgId,
        ["site"] = s.SiteId,
        ["zone"] = s.ZoneId,
        ["camera"] = s.CameraId,
        ["signal"] = s.Id,
    },
    ["annotations"] = new JsonObject { ["summary"] = $"{s.Kind} in {s.ZoneId}" },
    ["startsAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["endsAt"] = DateTimeOffset.UtcNow.AddHours(1).ToString("O", CultureInfo.InvariantCulture),
}).ToArray()).ToJsonString())).ToList();

async Task PostAlertsAsync(List<byte[]> bodies)
{
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < bodies.Count)
        {
            using var content = new ByteArrayContent(bodies[i]);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync("/api/v2/alerts", content);
            response.EnsureSuccessStatusCode();
        }
    }));
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string? FindAlertmanager() => File.Exists("/usr/bin/prometheus-alertmanager") ? "/usr/bin/prometheus-alertmanager"
    : File.Exists("/usr/bin/alertmanager") ? "/usr/bin/alertmanager" : null;
