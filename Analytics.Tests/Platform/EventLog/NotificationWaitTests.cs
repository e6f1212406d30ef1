using Analytics.EventLog;
using Analytics.Tests.Platform;
using Npgsql;

namespace Analytics.Tests.EventLog;

/// <summary>
/// Consumers wait on LISTEN until a deadline; a deadline closer than a millisecond must still end
/// the wait (Npgsql reads a timeout of 0 ms as "wait forever"), or a consumer sleeps until some
/// unrelated notification happens to wake it.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class NotificationWaitTests(PlatformFixture platform)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_wait_shorter_than_a_millisecond_times_out_instead_of_waiting_for_ever()
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var listener = await ListenAsync(dataSource, $"wait_{Guid.NewGuid():N}");

        var notified = await listener.WaitForNotificationAsync(TimeSpan.FromTicks(4_000), CancellationToken.None).WaitAsync(Guard);

        Assert.False(notified);
    }

    [Fact]
    public async Task A_notification_sent_before_the_wait_ends_it()
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        var channel = $"wait_{Guid.NewGuid():N}";
        await using var listener = await ListenAsync(dataSource, channel);
        string? payload = null;
        listener.Notification += (_, e) => payload = e.Payload;
        await using (var notify = dataSource.CreateCommand($"NOTIFY {channel}, 'due'"))
        {
            await notify.ExecuteNonQueryAsync();
        }

        var notified = await listener.WaitForNotificationAsync(Guard * 2, CancellationToken.None).WaitAsync(Guard);

        Assert.True(notified);
        Assert.Equal("due", payload);
    }

    [Fact]
    public async Task A_timeout_that_is_not_positive_is_refused()
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var listener = await ListenAsync(dataSource, $"wait_{Guid.NewGuid():N}");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => listener.WaitForNotificationAsync(TimeSpan.Zero, CancellationToken.None));
    }

    private static async Task<NpgsqlConnection> ListenAsync(NpgsqlDataSource dataSource, string channel)
    {
        var listener = await dataSource.OpenConnectionAsync();
        await using var listen = new NpgsqlCommand($"LISTEN {channel}", listener);
        await listen.ExecuteNonQueryAsync();
        return listener;
    }
}
