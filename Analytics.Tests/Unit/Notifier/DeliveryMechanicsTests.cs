using System.Text;
using Analytics.Notifier.Channels;
using Analytics.Notifier.Decisions;

namespace Analytics.Tests.Notifier;

/// <summary>The retry schedule, the webhook signature and the deterministic delivery keys.</summary>
public sealed class DeliveryMechanicsTests
{
    [Fact]
    public void Backoff_doubles_from_the_initial_delay_up_to_the_cap()
    {
        Assert.Equal([1.0, 2, 4, 8, 16, 30, 30, 30], Enumerable.Range(1, 8).Select(n => Backoff.Step(n, 1, 30)));
        Assert.Equal(300, Backoff.Step(int.MaxValue, 1, 300));
    }

    [Fact]
    public void Jitter_keeps_each_delay_in_the_upper_half_of_its_step_and_spreads_it()
    {
        var random = new Random(42);
        for (var failures = 1; failures <= 12; failures++)
        {
            var step = Backoff.Step(failures, 0.5, 60);
            var delays = Enumerable.Range(0, 500).Select(_ => Backoff.AfterFailures(failures, 0.5, 60, random).TotalSeconds).ToList();

            Assert.All(delays, d => Assert.InRange(d, step / 2, step));
            Assert.True(delays.Max() - delays.Min() > step / 4, $"after {failures} failure(s) the delays {delays.Min()}..{delays.Max()} barely spread");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.AfterFailures(0, 1, 10, random));
    }

    [Fact]
    public void Signature_is_hmac_sha256_over_timestamp_dot_body_and_fails_on_any_change()
    {
        var body = Encoding.UTF8.GetBytes("{\"a\":1}");

        // Computed independently: python3 hmac.new(b'whsec_test', b'1700000000.{"a":1}', hashlib.sha256).
        var signature = WebhookSignature.Sign("whsec_test", "1700000000", body);
        Assert.Equal("v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789", signature);

        Assert.True(WebhookSignature.Verify("whsec_test", "1700000000", body, signature));
        Assert.False(WebhookSignature.Verify("whsec_test", "1700000001", body, signature));
        Assert.False(WebhookSignature.Verify("whsec_other", "1700000000", body, signature));
        Assert.False(WebhookSignature.Verify("whsec_test", "1700000000", Encoding.UTF8.GetBytes("{\"a\":2}"), signature));
        Assert.False(WebhookSignature.Verify("whsec_test", "1700000000", body, null));
    }

    [Fact]
    public void Keys_are_the_same_for_the_same_change_and_rule_and_differ_otherwise()
    {
        var key = DeliveryIds.NotificationKey("org-1", "inc-1", 3, "rule-1");

        Assert.Equal(key, DeliveryIds.NotificationKey("org-1", "inc-1", 3, "rule-1"));
        Assert.Equal(
            5,
            new[]
            {
                key,
                DeliveryIds.NotificationKey("org-2", "inc-1", 3, "rule-1"),
                DeliveryIds.NotificationKey("org-1", "inc-1", 4, "rule-1"),
                DeliveryIds.NotificationKey("org-1", "inc-1", 3, "rule-2"),
                DeliveryIds.NotificationKey("org-1", "inc-1", 3, null),
            }.Distinct(StringComparer.Ordinal).Count());
        Assert.NotEqual(
            DeliveryIds.DigestKey("org-1", "rule-1", DateTimeOffset.UnixEpoch),
            DeliveryIds.DigestKey("org-1", "rule-1", DateTimeOffset.UnixEpoch.AddHours(1)));
        Assert.StartsWith("dlv-", DeliveryIds.DeliveryId(key), StringComparison.Ordinal);
    }
}
