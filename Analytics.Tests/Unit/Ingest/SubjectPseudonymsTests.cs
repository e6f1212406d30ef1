using System.Text;
using Analytics.Ingest.Observations;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Ingest;

/// <summary>
/// The pseudonym that ingest stores instead of a subject key: stable for one slot under one day's
/// secret, different under another day's, and never carrying the key or the secret.
/// </summary>
public sealed class SubjectPseudonymsTests
{
    private static readonly byte[] Monday = SubjectPseudonyms.NewSecret();
    private static readonly byte[] Tuesday = SubjectPseudonyms.NewSecret();

    public static TheoryData<string> SubjectKeys() => new()
    {
        "slot-3",
        "subject-" + Guid.NewGuid().ToString("N"),
        "Überraschung-ß-教室-7",
        new string('k', ContractLimits.MaxIdLength),
        new string('é', ContractLimits.MaxIdLength),
    };

    [Theory]
    [MemberData(nameof(SubjectKeys))]
    public void One_slot_under_one_days_secret_gets_one_pseudonym_and_another_under_another_days(string subjectKey)
    {
        var pseudonym = SubjectPseudonyms.Pseudonym(Monday, subjectKey);

        Assert.Equal(pseudonym, SubjectPseudonyms.Pseudonym(Monday, subjectKey));
        Assert.Equal(pseudonym, SubjectPseudonyms.Pseudonym(Monday.ToArray(), new string(subjectKey.AsSpan())));
        Assert.NotEqual(pseudonym, SubjectPseudonyms.Pseudonym(Tuesday, subjectKey));
        Assert.NotEqual(pseudonym, SubjectPseudonyms.Pseudonym(Monday, subjectKey + "x"));
    }

    [Theory]
    [MemberData(nameof(SubjectKeys))]
    public void A_pseudonym_is_p_and_32_hex_digits_and_holds_neither_the_key_nor_the_secret(string subjectKey)
    {
        var pseudonym = SubjectPseudonyms.Pseudonym(Monday, subjectKey);

        Assert.Matches("^p_[0-9a-f]{32}$", pseudonym);
        Assert.Equal(SubjectPseudonyms.Length, pseudonym.Length);
        Assert.True(pseudonym.Length <= ContractLimits.MaxIdLength);
        Assert.DoesNotContain(subjectKey, pseudonym, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexStringLower(Monday)[..8], pseudonym, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(subjectKey)), pseudonym, StringComparison.Ordinal);
    }

    [Fact]
    public void Distinct_slots_get_distinct_pseudonyms()
    {
        var keys = Enumerable.Range(0, 10_000).Select(i => $"slot-{i}").ToList();

        var pseudonyms = keys.Select(key => SubjectPseudonyms.Pseudonym(Monday, key)).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(keys.Count, pseudonyms.Count);
    }

    [Fact]
    public void Secrets_are_fresh_random_bytes()
    {
        var secrets = Enumerable.Range(0, 100).Select(_ => Convert.ToHexString(SubjectPseudonyms.NewSecret())).ToList();

        Assert.All(secrets, secret => Assert.Equal(SubjectPseudonyms.SecretBytes * 2, secret.Length));
        Assert.Equal(secrets.Count, secrets.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("2026-11-25T00:00:00+00:00", "2026-11-25")]
    [InlineData("2026-11-25T23:59:59.9999999+00:00", "2026-11-25")]
    [InlineData("2026-11-25T01:30:00+02:00", "2026-11-24")]
    public void The_secrets_day_is_the_utc_day_of_the_event_time(string occurredAt, string day) =>
        Assert.Equal(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture), SubjectPseudonyms.KeyDay(DateTimeOffset.Parse(occurredAt, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("2026-11-25T00:00:00Z", "2026-11-24")]
    [InlineData("2026-11-25T23:59:59Z", "2026-11-24")]
    [InlineData("2026-11-26T00:00:00Z", "2026-11-25")]
    public void Yesterdays_secret_is_the_oldest_kept(string now, string oldestKept) =>
        Assert.Equal(DateOnly.Parse(oldestKept, System.Globalization.CultureInfo.InvariantCulture), SubjectPseudonyms.OldestKeptDay(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Every_epoch_aligned_window_of_the_default_length_lies_within_one_day()
    {
        // The education rules' windows start at multiples of their length since the epoch: a
        // length that divides a day never puts one window's samples under two secrets.
        const int WindowSeconds = 60;
        var lastWindowOfTheDay = new DateTimeOffset(2026, 11, 25, 23, 59, 0, TimeSpan.Zero);

        Assert.Equal(0, 86_400 % WindowSeconds);
        Assert.Equal(0, lastWindowOfTheDay.ToUnixTimeSeconds() % WindowSeconds);
        Assert.Equal(
            SubjectPseudonyms.KeyDay(lastWindowOfTheDay),
            SubjectPseudonyms.KeyDay(lastWindowOfTheDay.AddSeconds(WindowSeconds).AddTicks(-1)));
    }

    [Fact]
    public void A_batch_pseudonymizes_each_sample_under_its_own_days_secret_and_keeps_everything_else()
    {
        var monday = new DateOnly(2026, 11, 23);
        var secrets = new BatchSubjectSecrets(new Dictionary<DateOnly, byte[]> { [monday] = Monday, [monday.AddDays(1)] = Tuesday });
        var morning = Sample("slot-1", new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

        var stored = secrets.Pseudonymize(morning);
        var evening = secrets.Pseudonymize(morning with { OccurredAt = morning.OccurredAt.AddHours(14.99) });
        var nextDay = secrets.Pseudonymize(morning with { OccurredAt = morning.OccurredAt.AddDays(1) });
        var other = secrets.Pseudonymize(morning with { SubjectKey = "slot-2" });

        Assert.Equal(morning with { SubjectKey = stored.SubjectKey }, stored);
        Assert.Equal(SubjectPseudonyms.Pseudonym(Monday, "slot-1"), stored.SubjectKey);
        Assert.Equal(stored.SubjectKey, evening.SubjectKey);
        Assert.Equal(SubjectPseudonyms.Pseudonym(Tuesday, "slot-1"), nextDay.SubjectKey);
        Assert.NotEqual(stored.SubjectKey, nextDay.SubjectKey);
        Assert.NotEqual(stored.SubjectKey, other.SubjectKey);
    }

    private static AffectTelemetry Sample(string subjectKey, DateTimeOffset occurredAt) => new()
    {
        SchemaVersion = 1, SiteId = "school-1", CameraId = "cam-1", OccurredAt = occurredAt, ZoneId = "room-1",
        SubjectKey = subjectKey, Engagement = 0.5, Valence = 0, Arousal = 0.5, Confidence = 0.9,
    };
}
