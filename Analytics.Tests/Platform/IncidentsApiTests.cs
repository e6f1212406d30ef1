using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Data.Incidents;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// Signals committed to the signal log become incidents through the real fusion service, and
/// operators work them through the real API: read the evidence and history, acknowledge,
/// comment, resolve, silence; every action lands in the incident's history.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class IncidentsApiTests(PlatformFixture platform)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Page(List<Incident> Items, string? NextCursor);

    private sealed record DeliveryPage(List<Delivery> Items, string? NextCursor);

    private sealed record Detail(Incident Incident, string? Resolution, string? SilenceId, List<Signal> Evidence, List<IncidentEvent> History);

    [Fact]
    public async Task Loitering_and_product_removal_fuse_into_one_suspected_theft_that_an_operator_works_to_resolution()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        await platform.InsertSignalsAsync(
            TestSignals.Of(orgId, "s-loiter", "loitering", "shelf-1", start, 130),
            TestSignals.Of(orgId, "s-removal", "product_removal", "shelf-1", start.AddSeconds(140), 5),
            TestSignals.Of(orgId, "s-other", "loitering", "shelf-2", start, 130));
        using var api = platform.CreateClient(ResourceNames.Api, key);

        var page = await Eventually.Until(() => ListAsync(api, ""), p => p.Items.Count == 2 && p.Items.Any(i => i.Kind == "suspected_theft"), "two incidents");
        var theft = page.Items.Single(i => i.Kind == "suspected_theft");
        Assert.Equal(Severity.High, theft.Severity);
        Assert.Equal(["s-loiter", "s-removal"], theft.SignalIds);
        Assert.Equal(IncidentStatus.Open, theft.Status);

        var detail = await GetAsync(api, theft.Id);
        Assert.Equal(["s-loiter", "s-removal"], detail.Evidence.Select(s => s.Id));
        // Each signal of the chain with its boxes, for the console to draw.
        Assert.Equal(
            [
                new EvidenceBox { TrackId = "p-1", ObjectClass = "person", Box = new BoundingBox(0.2, 0.3, 0.1, 0.4), At = detail.Evidence[0].StartedAt },
                new EvidenceBox { TrackId = "p-1", ObjectClass = "person", Box = new BoundingBox(0.25, 0.3, 0.1, 0.4), At = detail.Evidence[0].EndedAt },
            ],
            detail.Evidence[0].Evidence.Boxes!);
        Assert.Equal([IncidentEventType.Opened, IncidentEventType.SignalAttached, IncidentEventType.SeverityChanged], detail.History.Select(e => e.Type));
        Assert.Contains("loitering and product_removal", detail.Incident.SeverityReason);

        using (var acknowledged = await api.PostAsJsonAsync($"/v1/incidents/{theft.Id}/acknowledge", new { comment = "on my way" }))
        {
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
            Assert.Equal(IncidentStatus.Acknowledged, (await acknowledged.Content.ReadFromJsonAsync<Incident>(Json))!.Status);
        }
        // Acknowledging twice changes nothing and adds nothing to the history.
        using (var again = await api.PostAsJsonAsync($"/v1/incidents/{theft.Id}/acknowledge", new { }))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        using (var comment = await api.PostAsJsonAsync($"/v1/incidents/{theft.Id}/comments", new { comment = "bag recovered" }))
        {
            Assert.Equal(HttpStatusCode.Created, comment.StatusCode);
        }
        using (var resolved = await api.PostAsJsonAsync($"/v1/incidents/{theft.Id}/resolve", new { }))
        {
            Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        }
        using (var late = await api.PostAsJsonAsync($"/v1/incidents/{theft.Id}/acknowledge", new { }))
        {
            Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
            Assert.Equal("application/problem+json", late.Content.Headers.ContentType?.MediaType);
        }

        detail = await GetAsync(api, theft.Id);
        Assert.Equal(IncidentStatus.Resolved, detail.Incident.Status);
        Assert.Equal("resolved by an operator", detail.Resolution);
        Assert.Equal(
            [IncidentEventType.Opened, IncidentEventType.SignalAttached, IncidentEventType.SeverityChanged,
             IncidentEventType.Acknowledged, IncidentEventType.Comment, IncidentEventType.Resolved],
            detail.History.Select(e => e.Type));
        Assert.Equal("on my way", Assert.IsType<IncidentAcknowledged>(detail.History[3]).Comment);
        Assert.StartsWith("api-key:", detail.History[3].Actor, StringComparison.Ordinal);
        Assert.DoesNotContain(key, detail.History[3].Actor, StringComparison.Ordinal);

        var resolvedOnly = await ListAsync(api, "?status=resolved");
        Assert.Equal([theft.Id], resolvedOnly.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task Another_organizations_key_neither_sees_nor_changes_an_incident()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var (_, otherKey) = await platform.CreateOrganizationAsync();
        await platform.InsertSignalsAsync(TestSignals.Of(orgId, "s-1", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-1), 5));
        using var api = platform.CreateClient(ResourceNames.Api, key);
        var incident = (await Eventually.Until(() => ListAsync(api, ""), p => p.Items.Count == 1, "the incident")).Items[0];

        using var other = platform.CreateClient(ResourceNames.Api, otherKey);
        using (var read = await other.GetAsync($"/v1/incidents/{incident.Id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        }
        using (var acknowledge = await other.PostAsJsonAsync($"/v1/incidents/{incident.Id}/acknowledge", new { }))
        {
            Assert.Equal(HttpStatusCode.NotFound, acknowledge.StatusCode);
        }
        Assert.Empty((await ListAsync(other, "")).Items);
        Assert.Equal(IncidentStatus.Open, (await GetAsync(api, incident.Id)).Incident.Status);
    }

    [Fact]
    public async Task Keyset_pages_list_every_incident_once_newest_first_and_bad_queries_get_problem_details()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        await platform.InsertSignalsAsync([.. Enumerable.Range(0, 5).Select(i => TestSignals.Of(orgId, $"s-{i}", "intrusion", $"zone-{i}", start.AddMinutes(i), 5))]);
        using var api = platform.CreateClient(ResourceNames.Api, key);
        await Eventually.Until(() => ListAsync(api, ""), p => p.Items.Count == 5, "five incidents");

        var seen = new List<Incident>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await ListAsync(api, cursor is null ? "?limit=2" : $"?limit=2&cursor={cursor}");
            seen.AddRange(page.Items);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(5, seen.Select(i => i.Id).Distinct().Count());
        Assert.Equal(seen.OrderByDescending(i => i.OpenedAt).ThenByDescending(i => i.Id, StringComparer.Ordinal).Select(i => i.Id), seen.Select(i => i.Id));

        using var bad = await api.GetAsync("/v1/incidents?status=closed&limit=0&cursor=nonsense");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        var paths = ProblemAssert.Errors(problem).Select(e => e.Path).ToList();
        Assert.Equal(["$.status", "$.limit", "$.cursor"], paths);
    }

    [Fact]
    public async Task A_silence_marks_matching_incidents_silenced_with_its_id_and_bad_silences_are_refused()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, key);
        using var created = await api.PostAsJsonAsync("/v1/silences", new { zoneId = "dock", kind = "intrusion", endsAt = DateTimeOffset.UtcNow.AddHours(1), comment = "maintenance" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var silence = (await created.Content.ReadFromJsonAsync<Silence>(Json))!;

        await platform.InsertSignalsAsync(
            TestSignals.Of(orgId, "s-muted", "intrusion", "dock", DateTimeOffset.UtcNow.AddMinutes(-2), 5),
            TestSignals.Of(orgId, "s-loud", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-2), 5));
        var page = await Eventually.Until(() => ListAsync(api, ""), p => p.Items.Count == 2, "two incidents");
        var muted = page.Items.Single(i => i.ZoneId == "dock");
        Assert.True(muted.Silenced);
        Assert.Equal(silence.SilenceId, (await GetAsync(api, muted.Id)).SilenceId);
        Assert.False(page.Items.Single(i => i.ZoneId == "vault").Silenced);

        // A misspelled kind would silence nothing: refused, naming the kinds there are.
        using var misspelled = await api.PostAsJsonAsync("/v1/silences", new { kind = "loiterign", endsAt = DateTimeOffset.UtcNow.AddHours(1) });
        var kindProblem = await ProblemAssert.InvalidAtAsync(misspelled, "$.kind");
        Assert.StartsWith("must be a kind of incident: one of loitering, intrusion, product_removal, crowding, missing_ppe, fall, running, low_engagement, distress, fall_in_crowd, suspected_theft, camera_offline, was 'loiterign'", kindProblem, StringComparison.Ordinal);
        using var correlation = await api.PostAsJsonAsync("/v1/silences", new { kind = "suspected_theft", siteId = "nowhere", endsAt = DateTimeOffset.UtcNow.AddHours(1) });
        await ProblemAssert.SucceededAsync(correlation);
        using (await api.DeleteAsync($"/v1/silences/{(await correlation.Content.ReadFromJsonAsync<Silence>(Json))!.SilenceId}"))
        {
        }

        using var refused = await api.PostAsJsonAsync("/v1/silences", new { endsAt = DateTimeOffset.UtcNow.AddHours(-1) });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        var paths = ProblemAssert.Errors(problem).Select(e => e.Path).ToList();
        Assert.Contains("$", paths);
        Assert.Contains("$.endsAt", paths);

        // A time without an offset names no instant: refused at its path, like any other bad field.
        var offsetLess = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        using var ambiguous = await api.PostAsync("/v1/silences", new StringContent(
            $$"""{"zoneId":"dock","endsAt":"{{offsetLess}}"}""", System.Text.Encoding.UTF8, "application/json"));
        var reason = await ProblemAssert.InvalidAtAsync(ambiguous, "$.endsAt");
        Assert.StartsWith("must be an RFC 3339 date-time with Z or an offset", reason, StringComparison.Ordinal);
        // An offset is taken, and kept as the UTC instant it names.
        var inTwoHours = DateTimeOffset.UtcNow.AddHours(2);
        inTwoHours = new DateTimeOffset(inTwoHours.Ticks - inTwoHours.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        using var withOffset = await api.PostAsync("/v1/silences", new StringContent(
            $$"""{"zoneId":"yard","endsAt":"{{inTwoHours.ToOffset(TimeSpan.FromHours(-5)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)}}"}""",
            System.Text.Encoding.UTF8, "application/json"));
        await ProblemAssert.SucceededAsync(withOffset);
        var offsetSilence = JsonDocument.Parse(await withOffset.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(inTwoHours.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", System.Globalization.CultureInfo.InvariantCulture), offsetSilence.GetProperty("endsAt").GetString());
        Assert.Equal(2, (await api.GetFromJsonAsync<List<Silence>>("/v1/silences", Json) ?? []).Count);
        using var expiredToo = await api.DeleteAsync($"/v1/silences/{offsetSilence.GetProperty("silenceId").GetString()}");
        Assert.Equal(HttpStatusCode.OK, expiredToo.StatusCode);

        using var expired = await api.DeleteAsync($"/v1/silences/{silence.SilenceId}");
        Assert.Equal(HttpStatusCode.OK, expired.StatusCode);
        Assert.Empty(await api.GetFromJsonAsync<List<Silence>>("/v1/silences", Json) ?? []);
        Assert.Equal(3, (await api.GetFromJsonAsync<List<Silence>>("/v1/silences?all=true", Json) ?? []).Count);
    }

    [Fact]
    public async Task A_burst_of_signals_into_one_incident_shares_one_attachment_and_the_evidence_lists_each_signal_in_order()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        // Committed together, so fusion folds them in one step.
        await platform.InsertSignalsAsync(
            TestSignals.Of(orgId, "s-1", "intrusion", "vault", start, 5),
            TestSignals.Of(orgId, "s-2", "intrusion", "vault", start.AddSeconds(20), 5),
            TestSignals.Of(orgId, "s-3", "intrusion", "vault", start.AddSeconds(40), 5),
            TestSignals.Of(orgId, "s-4", "intrusion", "vault", start.AddSeconds(60), 5));
        using var api = platform.CreateClient(ResourceNames.Api, key);

        var incident = (await Eventually.Until(() => ListAsync(api, ""), p => p.Items.Count == 1, "the incident")).Items[0];
        var detail = await GetAsync(api, incident.Id);

        Assert.Equal(["s-1", "s-2", "s-3", "s-4"], incident.SignalIds);
        Assert.Equal(["s-1", "s-2", "s-3", "s-4"], detail.Evidence.Select(s => s.Id));
        Assert.Equal([IncidentEventType.Opened, IncidentEventType.SignalAttached], detail.History.Select(e => e.Type));
        var attached = Assert.IsType<IncidentSignalsAttached>(detail.History[1]);
        Assert.Equal(["s-2", "s-3", "s-4"], attached.Signals.Select(s => s.Id));
        Assert.Equal(detail.Evidence.Skip(1).Select(s => s.EndedAt), attached.Signals.Select(s => s.At));
    }

    [Fact]
    public async Task Rebuilding_the_projection_from_the_incident_events_gives_the_same_table()
    {
        // Incidents with history of every kind exist from the other tests; add one of our own so
        // the comparison never runs on empty tables.
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await platform.InsertSignalsAsync(
            TestSignals.Of(orgId, "s-1", "loitering", "shelf-1", DateTimeOffset.UtcNow.AddMinutes(-5), 130),
            TestSignals.Of(orgId, "s-2", "product_removal", "shelf-1", DateTimeOffset.UtcNow.AddMinutes(-2), 5));
        using var api = platform.CreateClient(ResourceNames.Api, key);
        var incident = (await Eventually.Until(() => ListAsync(api, ""), p => p.Items.Count == 1 && p.Items[0].SignalIds.Count == 2, "the fused incident")).Items[0];
        using (var acknowledged = await api.PostAsJsonAsync($"/v1/incidents/{incident.Id}/acknowledge", new { }))
        {
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        }

        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        // One snapshot for the events and the live tables, so fusion working meanwhile cannot skew them.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE rebuilt_incidents (LIKE incidents INCLUDING ALL)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        var rebuilt = await IncidentStore.RebuildAsync(connection, "rebuilt_incidents", CancellationToken.None);

        Assert.True(rebuilt > 1, $"only {rebuilt} incident(s) rebuilt");
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM ((TABLE incidents EXCEPT TABLE rebuilt_incidents) UNION ALL (TABLE rebuilt_incidents EXCEPT TABLE incidents)) d"));
        Assert.Equal(await ScalarAsync(connection, "SELECT count(*) FROM incidents"), (long)rebuilt);
    }

    [Fact]
    public async Task A_history_stored_in_the_old_single_record_shape_reads_through_the_timeline_the_notifier_and_a_rebuild()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var incidentId = $"inc-{Guid.NewGuid():N}"[..28];
        var t0 = DateTimeOffset.UtcNow.AddHours(-1);
        string At(int seconds) => t0.AddSeconds(seconds).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var envelope = $$"""
            "incidentId": "{{incidentId}}", "orgId": "{{orgId}}"
            """;
        // Written as the single record wrote them (its member order, nulls left out), including an
        // attachment from before signals shared events; jsonb then stores the keys in its own order.
        (string Type, string[]? SignalIds, string Document)[] history =
        [
            ("opened", ["s-1"], $$"""{{{envelope}}, "version": 1, "type": "opened", "at": "{{At(0)}}", "actor": "fusion", "signalId": "s-1", "signalKind": "loitering", "signalAt": "{{At(-10)}}", "domain": "antitheft", "kind": "loitering", "severity": "medium", "siteId": "store-1", "cameraId": "cam-1", "zoneId": "shelf-1", "groupKey": "store-1/zone:shelf-1/suspected_theft", "reason": "loitering signal s-1 was medium", "schemaVersion": 1}"""),
            ("signalAttached", ["s-2"], $$"""{{{envelope}}, "version": 2, "type": "signalAttached", "at": "{{At(60)}}", "actor": "fusion", "signalId": "s-2", "signalKind": "product_removal", "signalAt": "{{At(50)}}", "cameraId": "cam-1", "zoneId": "shelf-1", "schemaVersion": 1}"""),
            ("signalAttached", ["s-3", "s-4"], $$"""{{{envelope}}, "version": 3, "type": "signalAttached", "at": "{{At(120)}}", "actor": "fusion", "signals": [{"id": "s-3", "kind": "loitering", "at": "{{At(110)}}", "cameraId": "cam-1", "zoneId": "shelf-1"}, {"id": "s-4", "kind": "product_removal", "at": "{{At(115)}}", "cameraId": "cam-2"}], "schemaVersion": 1}"""),
            ("severityChanged", null, $$"""{{{envelope}}, "version": 4, "type": "severityChanged", "at": "{{At(120)}}", "actor": "fusion", "signalId": "s-4", "kind": "suspected_theft", "severity": "critical", "reason": "loitering and product_removal in the same zone within 600 s make suspected_theft", "schemaVersion": 1}"""),
            ("acknowledged", null, $$"""{{{envelope}}, "version": 5, "type": "acknowledged", "at": "{{At(180)}}", "actor": "api-key:3f2a", "comment": "on my way", "schemaVersion": 1}"""),
            ("comment", null, $$"""{{{envelope}}, "version": 6, "type": "comment", "at": "{{At(200)}}", "actor": "api-key:3f2a", "comment": "bag recovered", "schemaVersion": 1}"""),
            ("annotated", null, $$"""{{{envelope}}, "version": 7, "type": "annotated", "at": "{{At(210)}}", "actor": "fusion", "reason": "camera cam-1 went offline", "schemaVersion": 1}"""),
            ("resolved", null, $$"""{{{envelope}}, "version": 8, "type": "resolved", "at": "{{At(240)}}", "actor": "api-key:3f2a", "reason": "resolved by an operator", "comment": "false alarm", "schemaVersion": 1}"""),
            ("reopened", null, $$"""{{{envelope}}, "version": 9, "type": "reopened", "at": "{{At(300)}}", "actor": "fusion", "signalId": "s-5", "reason": "loitering signal s-5 came 60 s after it was resolved", "silenceId": "sil-7", "schemaVersion": 1}"""),
            ("signalAttached", ["s-5"], $$"""{{{envelope}}, "version": 10, "type": "signalAttached", "at": "{{At(300)}}", "actor": "fusion", "signals": [{"id": "s-5", "kind": "loitering", "at": "{{At(295)}}", "cameraId": "cam-1", "zoneId": "shelf-1"}], "schemaVersion": 1}"""),
            ("resolved", null, $$"""{{{envelope}}, "version": 11, "type": "resolved", "at": "{{At(1200)}}", "actor": "fusion", "reason": "no new signal for 900 s", "schemaVersion": 1}"""),
        ];

        await using var dataSource = await platform.CreateDataSourceAsync();
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            for (var i = 0; i < history.Length; i++)
            {
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO incident_events (org_id, incident_id, version, type, at, signal_ids, document) VALUES ($1, $2, $3, $4, ($5::jsonb ->> 'at')::timestamptz, $6, $5::jsonb)",
                    connection);
                insert.Parameters.Add(new NpgsqlParameter { Value = orgId });
                insert.Parameters.Add(new NpgsqlParameter { Value = incidentId });
                insert.Parameters.Add(new NpgsqlParameter { Value = i + 1 });
                insert.Parameters.Add(new NpgsqlParameter { Value = history[i].Type });
                insert.Parameters.Add(new NpgsqlParameter { Value = history[i].Document });
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)history[i].SignalIds ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                await insert.ExecuteNonQueryAsync();
            }
            // jsonb keeps the shortest keys first: the discriminator is not where the record wrote it.
            await using (var firstKey = new NpgsqlCommand("SELECT DISTINCT (SELECT k FROM jsonb_object_keys(document) k LIMIT 1) FROM incident_events WHERE org_id = $1", connection))
            {
                firstKey.Parameters.Add(new NpgsqlParameter { Value = orgId });
                Assert.Equal("at", await firstKey.ExecuteScalarAsync());
            }

            // The projection row comes from the rebuild, as after a lost table. It reads a copy of
            // this organization's events only: a temporary table of the same name comes first in
            // the search path, so other tests' incidents (some deliberately broken) do not count.
            await using (var copy = new NpgsqlCommand("CREATE TEMP TABLE incident_events ON COMMIT DROP AS SELECT * FROM public.incident_events WHERE org_id = $1", connection))
            {
                copy.Parameters.Add(new NpgsqlParameter { Value = orgId });
                await copy.ExecuteNonQueryAsync();
            }
            await ExecuteAsync(connection, "CREATE TEMP TABLE rebuilt_incidents (LIKE public.incidents INCLUDING ALL) ON COMMIT DROP");
            Assert.Equal(1, await IncidentStore.RebuildAsync(connection, "rebuilt_incidents", CancellationToken.None));
            await ExecuteAsync(connection, "INSERT INTO public.incidents SELECT * FROM rebuilt_incidents");
            await ExecuteAsync(connection, "SELECT pg_notify('incident_events', '')");
            await transaction.CommitAsync();
        }

        using var api = platform.CreateClient(ResourceNames.Api, key);
        var incident = Assert.Single((await ListAsync(api, "?status=resolved")).Items);
        Assert.Equal((incidentId, "suspected_theft", Severity.Critical, IncidentStatus.Resolved), (incident.Id, incident.Kind, incident.Severity, incident.Status));
        Assert.Equal(["s-1", "s-2", "s-3", "s-4", "s-5"], incident.SignalIds);
        Assert.True(incident.Silenced);

        var detail = await GetAsync(api, incidentId);
        Assert.Equal("no new signal for 900 s", detail.Resolution);
        Assert.Equal("sil-7", detail.SilenceId);
        Assert.Equal(
            [IncidentEventType.Opened, IncidentEventType.SignalAttached, IncidentEventType.SignalAttached, IncidentEventType.SeverityChanged,
             IncidentEventType.Acknowledged, IncidentEventType.Comment, IncidentEventType.Annotated, IncidentEventType.Resolved,
             IncidentEventType.Reopened, IncidentEventType.SignalAttached, IncidentEventType.Resolved],
            detail.History.Select(e => e.Type));
        Assert.Equal(Enumerable.Range(1, 11), detail.History.Select(e => e.Version));
        var opened = Assert.IsType<IncidentOpened>(detail.History[0]);
        Assert.Equal(("s-1", "store-1/zone:shelf-1/suspected_theft", t0.AddSeconds(-10)), (opened.SignalId, opened.GroupKey, opened.SignalAt));
        // The attachment from before shared events is shown as today's: a list of its one signal.
        var early = Assert.Single(Assert.IsType<IncidentSignalsAttached>(detail.History[1]).Signals);
        Assert.Equal(("s-2", "product_removal", t0.AddSeconds(50), "cam-1", "shelf-1"), (early.Id, early.Kind, early.At, early.CameraId, early.ZoneId));
        Assert.Equal(["s-3", "s-4"], Assert.IsType<IncidentSignalsAttached>(detail.History[2]).Signals.Select(s => s.Id));
        Assert.Equal((Severity.Critical, "suspected_theft"), (Assert.IsType<IncidentSeverityChanged>(detail.History[3]).Severity, ((IncidentSeverityChanged)detail.History[3]).Kind));
        Assert.Equal("on my way", Assert.IsType<IncidentAcknowledged>(detail.History[4]).Comment);
        Assert.Equal("bag recovered", Assert.IsType<IncidentCommented>(detail.History[5]).Comment);
        Assert.Equal("camera cam-1 went offline", Assert.IsType<IncidentAnnotated>(detail.History[6]).Reason);
        Assert.Equal(("resolved by an operator", "false alarm"), (Assert.IsType<IncidentResolved>(detail.History[7]).Reason, ((IncidentResolved)detail.History[7]).Comment));
        Assert.Equal(("s-5", "sil-7"), (Assert.IsType<IncidentReopened>(detail.History[8]).SignalId, ((IncidentReopened)detail.History[8]).SilenceId));

        // The notifier reads the notifiable ones with their histories (the old attachment among
        // them): the organization has no rules, so the opening, the escalation and the reopening
        // are each decided as matching none, and the resolutions leave no trace.
        var deliveries = await Eventually.Until(
            async () => (await api.GetFromJsonAsync<DeliveryPage>($"/v1/deliveries?incidentId={incidentId}", Json))!.Items,
            items => items.Count >= 3, "the notifier's decisions on the old events");
        Assert.Equal(
            [(1, IncidentEventType.Opened), (4, IncidentEventType.SeverityChanged), (9, IncidentEventType.Reopened)],
            deliveries.Select(d => (d.EventVersion ?? 0, d.Transition ?? IncidentEventType.Comment)).Order());
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.NoMatchingRule, d.Status));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_incident_and_silence_endpoints()
    {
        using var api = platform.CreateClient(ResourceNames.Api);
        var document = await api.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/incidents", paths);
        Assert.Contains("/v1/incidents/{incidentId}/acknowledge", paths);
        Assert.Contains("/v1/silences", paths);
        Assert.Contains("/v1/zones/{zoneId}", paths);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<Page> ListAsync(HttpClient api, string query) =>
        (await api.GetFromJsonAsync<Page>("/v1/incidents" + query, Json))!;

    private static async Task<Detail> GetAsync(HttpClient api, string incidentId) =>
        (await api.GetFromJsonAsync<Detail>($"/v1/incidents/{incidentId}", Json))!;
}
