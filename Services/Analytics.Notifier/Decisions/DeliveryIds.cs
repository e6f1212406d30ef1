using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Analytics.Data.Notifications;

namespace Analytics.Notifier.Decisions;

/// <summary>
/// Delivery ids and idempotency keys derived from what the delivery is about, so deciding the same
/// incident change again (after a crash, by a second notifier) names the same delivery and the
/// database refuses the duplicate.
/// </summary>
public static class DeliveryIds
{
    /// <summary>The key of one incident change for one rule (null: the "no matching rule" record).</summary>
    public static string NotificationKey(string orgId, string incidentId, int eventVersion, string? ruleId) =>
        Hash(string.Create(CultureInfo.InvariantCulture, $"notification\n{orgId}\n{incidentId}\n{eventVersion}\n{ruleId}"));

    /// <summary>The key of one rule's digest for the quota window starting at <paramref name="windowStart"/>.</summary>
    public static string DigestKey(string orgId, string ruleId, DateTimeOffset windowStart) =>
        Hash(string.Create(CultureInfo.InvariantCulture, $"digest\n{orgId}\n{ruleId}\n{windowStart.UtcTicks}"));

    /// <summary>The delivery id belonging to an idempotency key.</summary>
    public static string DeliveryId(string idempotencyKey) => "dlv-" + idempotencyKey[3..];

    /// <summary>
    /// The key of a test message. Its delivery id is chosen when the API accepts the request (the
    /// answer names it), so here the key derives from the id, the other way round from the others:
    /// <c>DeliveryId(TestKey(id)) == id</c>.
    /// </summary>
    public static string TestKey(string deliveryId) => "nk-" + deliveryId[NotificationRequestStore.TestDeliveryIdPrefix.Length..];

    private static string Hash(string text) =>
        "nk-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
}
