using Analytics.Ingest.Observations;
using Microsoft.Extensions.Time.Testing;

namespace Analytics.Tests.Platform;

/// <summary>
/// The secrets behind subject pseudonyms, against the platform's database on a fake clock: one per
/// organization and day however many ingest replicas ask at once, kept through the following day,
/// then destroyed; a sample that comes later still gets a fresh secret, never the destroyed one.
/// </summary>
/// <remarks>
/// The days are in 2020, so destroying them on the fake clock leaves the live platform's secrets,
/// which the real clock dates, alone.
/// </remarks>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class SubjectKeySecretsTests(PlatformFixture platform)
{
    private static readonly DateOnly Day = new(2020, 3, 10);

    [Fact]
    public async Task A_days_secret_is_created_once_kept_through_the_next_day_and_then_destroyed()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        await using var dataSource = await platform.CreateDataSourceAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2020, 3, 10, 9, 0, 0, TimeSpan.Zero));
        var replicas = Enumerable.Range(0, 8).Select(_ => new SubjectKeySecrets(dataSource, clock)).ToList();

        var created = await Task.WhenAll(replicas.Select(replica => replica.GetAsync(orgId, Day, CancellationToken.None).AsTask()));

        var secret = created[0];
        Assert.Equal(32, secret.Length);
        Assert.All(created, other => Assert.Equal(secret, other));
        Assert.Equal([(Day, Convert.ToHexString(secret))], await StoredAsync(orgId));
        var nextDay = await replicas[0].GetAsync(orgId, Day.AddDays(1), CancellationToken.None);
        Assert.NotEqual(secret, nextDay);

        // The last moment of the following day: still kept, and still the same.
        clock.SetUtcNow(new DateTimeOffset(2020, 3, 11, 23, 59, 59, TimeSpan.Zero));
        await replicas[0].DestroyExpiredAsync(dataSource, CancellationToken.None);
        Assert.Equal(secret, await replicas[1].GetAsync(orgId, Day, CancellationToken.None));
        Assert.Equal(secret, await new SubjectKeySecrets(dataSource, clock).GetAsync(orgId, Day, CancellationToken.None));
        Assert.Equal([Day, Day.AddDays(1)], (await StoredAsync(orgId)).Select(row => row.Day));

        // The day is more than a day old: destroyed.
        clock.SetUtcNow(new DateTimeOffset(2020, 3, 12, 0, 0, 0, TimeSpan.Zero));
        await replicas[0].DestroyExpiredAsync(dataSource, CancellationToken.None);
        Assert.Equal([(Day.AddDays(1), Convert.ToHexString(nextDay))], await StoredAsync(orgId));

        // A late sample for the destroyed day: a replica that still remembers the old secret does not
        // use it, and every replica agrees on the fresh one until it is destroyed in turn.
        var fresh = await replicas[1].GetAsync(orgId, Day, CancellationToken.None);
        Assert.NotEqual(secret, fresh);
        Assert.Equal(fresh, await replicas[2].GetAsync(orgId, Day, CancellationToken.None));
        await replicas[3].DestroyExpiredAsync(dataSource, CancellationToken.None);
        Assert.Equal([Day.AddDays(1)], (await StoredAsync(orgId)).Select(row => row.Day));
    }

    [Fact]
    public async Task Each_organization_has_its_own_secret()
    {
        var (one, _) = await platform.CreateOrganizationAsync();
        var (other, _) = await platform.CreateOrganizationAsync();
        await using var dataSource = await platform.CreateDataSourceAsync();
        var secrets = new SubjectKeySecrets(dataSource, new FakeTimeProvider(new DateTimeOffset(2020, 3, 10, 9, 0, 0, TimeSpan.Zero)));

        Assert.NotEqual(
            await secrets.GetAsync(one, Day, CancellationToken.None),
            await secrets.GetAsync(other, Day, CancellationToken.None));
    }

    /// <summary>The organization's secrets as the database holds them, each in hex.</summary>
    private Task<List<(DateOnly Day, string Secret)>> StoredAsync(string orgId) => platform.QueryAsync(
        "SELECT day, secret FROM subject_key_secrets WHERE org_id = $1 ORDER BY day", orgId,
        reader => (reader.GetFieldValue<DateOnly>(0), Convert.ToHexString(reader.GetFieldValue<byte[]>(1))));
}
