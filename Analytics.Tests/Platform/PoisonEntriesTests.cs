using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Analytics.EventLog;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Simulator.Scenes;
using Analytics.Tests.Platform.Notifications;

namespace Analytics.Tests.Platform;

/// <summary>
/// An entry a consumer cannot apply stalls nobody: for each consumer (a rule service, fusion, the
/// notifier), organization A's bad entry lands in A's dead letters, organization B's signals,
/// incidents and notifications behind it keep flowing, the service says degraded, and its process
/// is the one that was running before.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class PoisonEntriesTests(PlatformFixture platform)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private sealed record DeadLetterItem(long Id, string Consumer, string Position, JsonElement Entry, string Error, DateTimeOffset FailedAt);

    private sealed record DeadLetterPage(List<DeadLetterItem> Items, string? NextCursor);

    [Fact]
    public async Task An_undecodable_observation_is_set_aside_and_the_rules_go_on()
    {
        var pid = await platform.ProcessIdAsync(ResourceNames.Antitheft);
        var a = await NotificationSteps.ForNewOrganizationAsync(platform);
        var b = await NotificationSteps.ForNewOrganizationAsync(platform);

        // Ingest would refuse this; a foreign writer or a damaged row is how it gets into the log.
        await using (var dataSource = await platform.CreateDataSourceAsync())
        {
            await new PostgresEventLog(dataSource).AppendAsync(
                [new LogRecord(Guid.NewGuid(), a.OrgId, EventTypes.TrackUpdate, 1, "cam-a", DateTimeOffset.UtcNow, null, null, Encoding.UTF8.GetBytes("{not an observation"))],
                CancellationToken.None);
        }
        // Behind it in the log: B's theft, which the antitheft rules must still see.
        var scene = SimulatedScenes.Build(SimulatedScenes.Theft, b.OrgId, camera: 1, run: 0, DateTimeOffset.UtcNow.AddMinutes(-5));
        await b.RegisterSceneAsync(scene);
        await b.PostObservationsAsync(scene.Observations());

        await Eventually.Until(
            () => platform.ScalarAsync<long>("SELECT count(*) FROM signals WHERE org_id = $1 AND kind = 'product_removal'", b.OrgId),
            count => count == 1, "B's theft signal", Timeout);
        var letter = await DeadLetterOfAsync(a, ResourceNames.Antitheft);
        Assert.Equal(EventTypes.TrackUpdate, letter.Entry.GetProperty("type").GetString());
        Assert.Equal("{not an observation", letter.Entry.GetProperty("payload").GetString());
        Assert.StartsWith("Json", letter.Error, StringComparison.Ordinal);
        await AssertDegradedSameProcessAsync(ResourceNames.Antitheft, pid);
        Assert.Empty((await DeadLettersAsync(b)).Items);
    }

    [Fact]
    public async Task A_signal_of_an_unknown_domain_is_set_aside_and_fusion_goes_on()
    {
        var pid = await platform.ProcessIdAsync(ResourceNames.Fusion);
        var a = await NotificationSteps.ForNewOrganizationAsync(platform);
        var b = await NotificationSteps.ForNewOrganizationAsync(platform);
        var now = DateTimeOffset.UtcNow;

        await using (var dataSource = await platform.CreateDataSourceAsync())
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            // Committed together, so fusion never reads it with a domain it knows.
            await Analytics.Data.Signals.SignalStore.InsertAsync(connection, [new(a.Signal("s-bad", "intrusion", "vault", now.AddMinutes(-2)), null, null)], CancellationToken.None);
            await using var update = new Npgsql.NpgsqlCommand("UPDATE signals SET domain = 'astrology' WHERE org_id = $1", connection) { Parameters = { new() { Value = a.OrgId } } };
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
            await transaction.CommitAsync();
        }
        await b.InsertSignalsAsync(b.Signal("s-good", "intrusion", "vault", now.AddMinutes(-1)));

        var incident = Assert.Single(await Eventually.Until(b.IncidentsAsync, i => i.Count == 1, "B's incident", Timeout));
        Assert.Equal("intrusion", incident.Kind);
        var letter = await DeadLetterOfAsync(a, ResourceNames.Fusion);
        Assert.Equal("astrology", letter.Entry.GetProperty("domain").GetString());
        Assert.StartsWith("FormatException", letter.Error, StringComparison.Ordinal);
        await AssertDegradedSameProcessAsync(ResourceNames.Fusion, pid);
        Assert.Empty(await a.IncidentsAsync());
    }

    [Fact]
    public async Task An_incident_event_off_its_history_is_set_aside_and_the_notifier_goes_on()
    {
        var pid = await platform.ProcessIdAsync(ResourceNames.Notifier);
        var a = await NotificationSteps.ForNewOrganizationAsync(platform);
        var b = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync();
        await b.CreateWebhookRuleAsync("hook", receiver.Url);
        var now = DateTimeOffset.UtcNow;

        await a.InsertSignalsAsync(a.Signal("s-1", "intrusion", "vault", now.AddMinutes(-2)));
        var opened = Assert.Single(await Eventually.Until(a.IncidentsAsync, i => i.Count == 1, "A's incident", Timeout));
        // Version 2 of an incident that has no version 1: no history leads to it.
        await platform.ExecuteAsync(
            """
            WITH forged AS (
                INSERT INTO incident_events (org_id, incident_id, version, type, at, document)
                SELECT org_id, 'inc-forged', 2, type, at,
                       jsonb_set(jsonb_set(document, '{incidentId}', '"inc-forged"'), '{version}', '2')
                FROM incident_events WHERE org_id = $1 AND version = 1
                RETURNING 1)
            SELECT pg_notify('incident_events', '') FROM forged
            """, a.OrgId);
        int removed;
        try
        {
            Assert.Equal(1L, await platform.ScalarAsync<long>("SELECT count(*) FROM incident_events WHERE org_id = $1 AND incident_id = 'inc-forged'", a.OrgId));
            await b.InsertSignalsAsync(b.Signal("s-1", "intrusion", "vault", now.AddMinutes(-1)));

            await Eventually.Until(() => Task.FromResult(receiver.Received), r => r.Count == 1, "B's webhook", Timeout);
            var letter = await DeadLetterOfAsync(a, ResourceNames.Notifier);
            Assert.Equal("inc-forged", letter.Entry.GetProperty("incident_id").GetString());
            Assert.StartsWith("InvalidOperationException", letter.Error, StringComparison.Ordinal);
            await AssertDegradedSameProcessAsync(ResourceNames.Notifier, pid);
            Assert.Equal(opened.Id, Assert.Single(await a.IncidentsAsync()).Id);
        }
        finally
        {
            // As an operator would once the dead letter told them: the forged row goes, so the
            // projection rebuild (IncidentsApiTests) replays only true histories, even when an
            // assertion above failed.
            removed = await platform.ExecuteAsync("DELETE FROM incident_events WHERE org_id = $1 AND incident_id = 'inc-forged'", a.OrgId);
        }
        Assert.Equal(1, removed);
    }

    private static async Task<DeadLetterItem> DeadLetterOfAsync(NotificationSteps steps, string consumer)
    {
        var page = await Eventually.Until(
            () => DeadLettersAsync(steps), p => p.Items.Any(l => l.Consumer == consumer), $"{consumer}'s dead letter", Timeout);
        return Assert.Single(page.Items, l => l.Consumer == consumer);
    }

    private static async Task<DeadLetterPage> DeadLettersAsync(NotificationSteps steps)
    {
        using var api = steps.Api();
        return (await api.GetFromJsonAsync<DeadLetterPage>("/v1/dead-letters", NotificationSteps.Json))!;
    }

    private async Task AssertDegradedSameProcessAsync(string service, string pid)
    {
        using var client = platform.CreateClient(service);
        await Eventually.Until(() => client.GetStringAsync("/health"), body => body == "Degraded", $"{service} to say degraded", PlatformFixture.DegradedWindow);
        Assert.Equal(pid, await platform.ProcessIdAsync(service));
    }
}
