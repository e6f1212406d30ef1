using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Analytics.Antitheft;
using Analytics.Education;
using Analytics.Incidents;
using Analytics.Ingest;
using Analytics.Notifier;
using Analytics.Safety;
using Analytics.Schemas.Settings;

namespace Analytics.Tests.Settings;

public sealed class SettingsValidatorTests
{
    public static TheoryData<object, string> DefaultSettings => new()
    {
        { new BaseServiceSettings(), "Service" },
        { new SupabaseSettings { ConnectionString = "Host=db;Database=analytics" }, "Supabase" },
        { new IngestSettings(), "Ingest" },
        { new AntitheftSettings(), "Antitheft" },
        { new SafetySettings(), "Safety" },
        { new EducationSettings(), "Education" },
        { new FusionSettings(), "Fusion" },
        { new NotifierSettings(), "Notifier" },
    };

    [Theory]
    [MemberData(nameof(DefaultSettings))]
    public void Defaults_are_valid(object settings, string section)
    {
        Assert.Empty(SettingsValidator.Validate(settings, section));
    }

    [Fact]
    public void Section_names_match_the_configuration_layout()
    {
        Assert.Equal("Service", BaseServiceSettings.SectionName);
        Assert.Equal("Supabase", SupabaseSettings.SectionName);
        Assert.Equal("Ingest", IngestSettings.SectionName);
        Assert.Equal("Antitheft", AntitheftSettings.SectionName);
        Assert.Equal("Safety", SafetySettings.SectionName);
        Assert.Equal("Education", EducationSettings.SectionName);
        Assert.Equal("Fusion", FusionSettings.SectionName);
        Assert.Equal("Notifier", NotifierSettings.SectionName);
        Assert.Equal("Notifier:Smtp", SmtpSettings.SectionName);
    }

    [Theory]
    [InlineData("HealthCheckTimeoutSeconds", 0, "Service:HealthCheckTimeoutSeconds must be between 1 and 60, was 0")]
    [InlineData("HealthCheckTimeoutSeconds", 61, "Service:HealthCheckTimeoutSeconds must be between 1 and 60, was 61")]
    [InlineData("ShutdownTimeoutSeconds", 301, "Service:ShutdownTimeoutSeconds must be between 1 and 300, was 301")]
    public void Service_settings_out_of_range(string property, object value, string message) =>
        AssertSingleProblem(new BaseServiceSettings(), "Service", property, value, message);

    [Theory]
    [InlineData("ConnectionString", "", "Supabase:ConnectionString is required")]
    [InlineData("ConnectionString", "   ", "Supabase:ConnectionString is required")]
    [InlineData("ConnectionString", null, "Supabase:ConnectionString is required")]
    [InlineData("ConnectionString", "postgresql://postgres:secret@db:5432/analytics", "Supabase:ConnectionString must be key=value pairs separated by ';' (Host=...;Database=...;Username=...), not a URL")]
    [InlineData("Url", "not a url", "Supabase:Url must be an absolute http or https URL, was 'not a url'")]
    [InlineData("Url", "ftp://files.example.com", "Supabase:Url must be an absolute http or https URL, was 'ftp://files.example.com'")]
    [InlineData("Url", "/relative/path", "Supabase:Url must be an absolute http or https URL, was '/relative/path'")]
    [InlineData("MinPoolSize", -1, "Supabase:MinPoolSize must be between 0 and 1000, was -1")]
    [InlineData("MaxPoolSize", 0, "Supabase:MaxPoolSize must be between 1 and 1000, was 0")]
    [InlineData("MaxPoolSize", 1001, "Supabase:MaxPoolSize must be between 1 and 1000, was 1001")]
    [InlineData("MinPoolSize", 60, "Supabase:MinPoolSize must not exceed Supabase:MaxPoolSize (60 > 50)")]
    [InlineData("CommandTimeoutSeconds", 3601, "Supabase:CommandTimeoutSeconds must be between 1 and 3600, was 3601")]
    public void Supabase_settings_invalid(string property, object? value, string message) =>
        AssertSingleProblem(new SupabaseSettings { ConnectionString = "Host=db" }, "Supabase", property, value, message);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("https://project.supabase.co")]
    [InlineData("http://localhost:54321")]
    public void Supabase_url_is_optional_but_absolute_http_when_given(string? url)
    {
        Assert.Empty(SettingsValidator.Validate(new SupabaseSettings { ConnectionString = "Host=db", Url = url }, "Supabase"));
    }

    [Theory]
    [InlineData("MaxBodyBytes", 1023, "Ingest:MaxBodyBytes must be between 1024 and 67108864, was 1023")]
    [InlineData("MaxItemsPerBatch", 0, "Ingest:MaxItemsPerBatch must be between 1 and 100000, was 0")]
    [InlineData("WriteQueueCapacity", 1000001, "Ingest:WriteQueueCapacity must be between 1 and 1000000, was 1000001")]
    [InlineData("MaxClockSkewSeconds", -1, "Ingest:MaxClockSkewSeconds must be between 0 and 3600, was -1")]
    [InlineData("WriteBatchMaxItems", 0, "Ingest:WriteBatchMaxItems must be between 1 and 1000000, was 0")]
    [InlineData("WriteBatchMaxDelayMilliseconds", 1001, "Ingest:WriteBatchMaxDelayMilliseconds must be between 0 and 1000, was 1001")]
    [InlineData("WriteConcurrency", 0, "Ingest:WriteConcurrency must be between 1 and 16, was 0")]
    [InlineData("AffectTelemetryRetentionHours", 0, "Ingest:AffectTelemetryRetentionHours must be between 1 and 168, was 0")]
    [InlineData("IdempotencyKeyRetentionHours", 0, "Ingest:IdempotencyKeyRetentionHours must be between 1 and 168, was 0")]
    [InlineData("IdempotencyKeyRetentionHours", 169, "Ingest:IdempotencyKeyRetentionHours must be between 1 and 168, was 169")]
    [InlineData("WriteBatchMaxItems", 300000, "Ingest:WriteBatchMaxItems must not exceed Ingest:WriteQueueCapacity (300000 > 200000)")]
    public void Ingest_settings_invalid(string property, object value, string message) =>
        AssertSingleProblem(new IngestSettings(), "Ingest", property, value, message);

    [Fact]
    public void Ingest_request_batch_larger_than_the_queue_is_reported()
    {
        var settings = new IngestSettings { WriteQueueCapacity = 1000, WriteBatchMaxItems = 1000 };

        Assert.Equal(
            ["Ingest:MaxItemsPerBatch must not exceed Ingest:WriteQueueCapacity (5000 > 1000)"],
            SettingsValidator.Validate(settings, "Ingest"));
    }

    [Theory]
    [InlineData("LoiteringSeconds", -5, "Antitheft:LoiteringSeconds must be between 1 and 3600, was -5")]
    [InlineData("LoiteringSeconds", 3601, "Antitheft:LoiteringSeconds must be between 1 and 3600, was 3601")]
    [InlineData("MinPresenceSeconds", 601, "Antitheft:MinPresenceSeconds must be between 0 and 600, was 601")]
    [InlineData("ExitGraceSeconds", -1, "Antitheft:ExitGraceSeconds must be between 0 and 600, was -1")]
    [InlineData("ProductRemovalWindowSeconds", 0, "Antitheft:ProductRemovalWindowSeconds must be between 1 and 3600, was 0")]
    [InlineData("LoiteringSeconds", 2, "Antitheft:MinPresenceSeconds must be less than Antitheft:LoiteringSeconds (2 >= 2)")]
    public void Antitheft_settings_invalid(string property, object value, string message) =>
        AssertSingleProblem(new AntitheftSettings(), "Antitheft", property, value, message);

    [Theory]
    [InlineData("CrowdingCount", 1, "Safety:CrowdingCount must be between 2 and 1000, was 1")]
    [InlineData("CrowdingSeconds", 0, "Safety:CrowdingSeconds must be between 1 and 3600, was 0")]
    [InlineData("FallSeconds", 601, "Safety:FallSeconds must be between 1 and 600, was 601")]
    [InlineData("FallAspectRatio", 0.9, "Safety:FallAspectRatio must be between 1 and 10, was 0.9")]
    [InlineData("FallAspectRatio", double.NaN, "Safety:FallAspectRatio must be between 1 and 10, was NaN")]
    [InlineData("MissingPpeSeconds", 0, "Safety:MissingPpeSeconds must be between 1 and 3600, was 0")]
    [InlineData("RunningSpeed", 0.001, "Safety:RunningSpeed must be between 0.01 and 10, was 0.001")]
    [InlineData("RunningSpeed", 10.5, "Safety:RunningSpeed must be between 0.01 and 10, was 10.5")]
    [InlineData("MinPresenceSeconds", -1, "Safety:MinPresenceSeconds must be between 0 and 600, was -1")]
    [InlineData("ExitGraceSeconds", 601, "Safety:ExitGraceSeconds must be between 0 and 600, was 601")]
    [InlineData("MinPresenceSeconds", 12, "Safety:MinPresenceSeconds must be less than Safety:CrowdingSeconds (12 >= 10)")]
    public void Safety_settings_invalid(string property, object value, string message) =>
        AssertSingleProblem(new SafetySettings(), "Safety", property, value, message);

    [Theory]
    [InlineData("WindowSeconds", 9, "Education:WindowSeconds must be between 10 and 3600, was 9")]
    [InlineData("MinGroupSize", 1, "Education:MinGroupSize must be between 2 and 1000, was 1")]
    [InlineData("LowEngagementThreshold", 1.5, "Education:LowEngagementThreshold must be between 0 and 1, was 1.5")]
    [InlineData("DistressValenceThreshold", 0.1, "Education:DistressValenceThreshold must be between -1 and 0, was 0.1")]
    [InlineData("DistressMinSubjects", 0, "Education:DistressMinSubjects must be between 1 and 1000, was 0")]
    [InlineData("DistressSeconds", 0, "Education:DistressSeconds must be between 1 and 3600, was 0")]
    [InlineData("DistressSeconds", 61, "Education:DistressSeconds must not exceed Education:WindowSeconds (61 > 60)")]
    public void Education_settings_invalid(string property, object value, string message) =>
        AssertSingleProblem(new EducationSettings(), "Education", property, value, message);

    [Theory]
    [InlineData("GroupWindowSeconds", 0, "Fusion:GroupWindowSeconds must be between 1 and 86400, was 0")]
    [InlineData("AutoResolveQuietSeconds", 59, "Fusion:AutoResolveQuietSeconds must be between 60 and 604800, was 59")]
    [InlineData("CameraOfflineSeconds", 9, "Fusion:CameraOfflineSeconds must be between 10 and 86400, was 9")]
    [InlineData("ReopenResolvedWithinSeconds", 86401, "Fusion:ReopenResolvedWithinSeconds must be between 0 and 86400, was 86401")]
    [InlineData("AutoResolveQuietSeconds", 300, "Fusion:AutoResolveQuietSeconds must be greater than Fusion:GroupWindowSeconds (300 <= 300)")]
    public void Fusion_settings_invalid(string property, object value, string message) =>
        AssertSingleProblem(new FusionSettings(), "Fusion", property, value, message);

    [Fact]
    public void Fusion_correlation_rules_are_checked_item_by_item_under_their_keys()
    {
        var settings = new FusionSettings
        {
            Correlations =
            [
                new() { Name = "suspected_theft", Kinds = ["loitering", "product_removal"] },
                new() { Name = "Bad Name", Kinds = ["fall"], WindowSeconds = 0 },
            ],
        };

        var problems = SettingsValidator.Validate(settings, "Fusion");

        Assert.Contains("Fusion:Correlations:1:Name must match ^[a-z][a-z0-9_]{0,63}$, was 'Bad Name'", problems);
        Assert.Contains("Fusion:Correlations:1:WindowSeconds must be between 1 and 86400, was 0", problems);
        Assert.Contains("Fusion:Correlations:1:Kinds must list at least two different signal kinds, was [fall]", problems);
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void A_signal_kind_in_two_correlation_rules_is_refused()
    {
        var settings = new FusionSettings
        {
            Correlations =
            [
                new() { Name = "suspected_theft", Kinds = ["loitering", "product_removal"] },
                new() { Name = "lingering_intruder", Kinds = ["loitering", "intrusion"] },
            ],
        };

        Assert.Equal(
            ["Fusion:Correlations may name each signal kind once, but loitering appear(s) in several rules"],
            SettingsValidator.Validate(settings, "Fusion"));
    }

    [Theory]
    [InlineData("MaxAttempts", 0, "Notifier:MaxAttempts must be between 1 and 50, was 0")]
    [InlineData("InitialBackoffSeconds", 0.05, "Notifier:InitialBackoffSeconds must be between 0.1 and 600, was 0.05")]
    [InlineData("MaxBackoffSeconds", 86401.0, "Notifier:MaxBackoffSeconds must be between 1 and 86400, was 86401")]
    [InlineData("HourlyQuotaPerOrganization", 0, "Notifier:HourlyQuotaPerOrganization must be between 1 and 100000, was 0")]
    [InlineData("WebhookTimeoutSeconds", 121, "Notifier:WebhookTimeoutSeconds must be between 1 and 120, was 121")]
    [InlineData("InitialBackoffSeconds", 400.5, "Notifier:MaxBackoffSeconds must be at least Notifier:InitialBackoffSeconds (300 < 400.5)")]
    [InlineData("QuotaWindowSeconds", 0, "Notifier:QuotaWindowSeconds must be between 1 and 86400, was 0")]
    [InlineData("MaxConcurrentDeliveries", 257, "Notifier:MaxConcurrentDeliveries must be between 1 and 256, was 257")]
    [InlineData("Smtp", null, "Notifier:Smtp is required")]
    public void Notifier_settings_invalid(string property, object? value, string message) =>
        AssertSingleProblem(new NotifierSettings(), "Notifier", property, value, message);

    [Theory]
    [InlineData("Host", "", "Notifier:Smtp:Host is required")]
    [InlineData("Port", 0, "Notifier:Smtp:Port must be between 1 and 65535, was 0")]
    [InlineData("Port", 65536, "Notifier:Smtp:Port must be between 1 and 65535, was 65536")]
    [InlineData("From", "", "Notifier:Smtp:From is required")]
    [InlineData("From", "alerts.example.com", "Notifier:Smtp:From must be an e-mail address, was 'alerts.example.com'")]
    [InlineData("TimeoutSeconds", 0, "Notifier:Smtp:TimeoutSeconds must be between 1 and 300, was 0")]
    public void Nested_smtp_settings_are_reported_with_their_full_key(string property, object? value, string message)
    {
        var settings = new NotifierSettings();
        Set(settings.Smtp, property, value);

        Assert.Equal([message], SettingsValidator.Validate(settings, "Notifier"));
    }

    [Fact]
    public void Every_problem_is_reported()
    {
        var settings = new NotifierSettings { MaxAttempts = 0, WebhookTimeoutSeconds = 500 };
        settings.Smtp.Port = -25;
        settings.Smtp.From = "nobody";

        Assert.Equal(
            [
                "Notifier:MaxAttempts must be between 1 and 50, was 0",
                "Notifier:WebhookTimeoutSeconds must be between 1 and 120, was 500",
                "Notifier:Smtp:Port must be between 1 and 65535, was -25",
                "Notifier:Smtp:From must be an e-mail address, was 'nobody'",
            ],
            SettingsValidator.Validate(settings, "Notifier"));
    }

    [Fact]
    public void Cross_field_rule_is_reported_alongside_unrelated_range_problems()
    {
        var settings = new AntitheftSettings { MinPresenceSeconds = 200, LoiteringSeconds = 100, ProductRemovalWindowSeconds = 0 };

        Assert.Equal(
            [
                "Antitheft:ProductRemovalWindowSeconds must be between 1 and 3600, was 0",
                "Antitheft:MinPresenceSeconds must be less than Antitheft:LoiteringSeconds (200 >= 100)",
            ],
            SettingsValidator.Validate(settings, "Antitheft"));
    }

    [Fact]
    public void Section_name_may_be_a_nested_path()
    {
        Assert.Equal(
            ["Tenants:Acme:Antitheft:LoiteringSeconds must be between 1 and 3600, was 0"],
            SettingsValidator.Validate(new AntitheftSettings { LoiteringSeconds = 0 }, "Tenants:Acme:Antitheft"));
    }

    [Fact]
    public void Messages_do_not_depend_on_the_current_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            Assert.Equal(
                ["Safety:RunningSpeed must be between 0.01 and 10, was 10.5"],
                SettingsValidator.Validate(new SafetySettings { RunningSpeed = 10.5 }, "Safety"));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Cross_field_rules_also_work_with_plain_data_annotations()
    {
        var settings = new SupabaseSettings { ConnectionString = "Host=db", MinPoolSize = 60 };
        var results = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(settings, new ValidationContext(settings), results, validateAllProperties: true));

        var result = Assert.Single(results);
        Assert.Equal("MinPoolSize must not exceed MaxPoolSize (60 > 50)", result.ErrorMessage);
        Assert.Equal(["MinPoolSize", "MaxPoolSize"], result.MemberNames);
    }

    private static void AssertSingleProblem(object settings, string section, string property, object? value, string message)
    {
        Set(settings, property, value);

        Assert.Equal([message], SettingsValidator.Validate(settings, section));
    }

    private static void Set(object settings, string property, object? value)
    {
        var propertyInfo = settings.GetType().GetProperty(property)
            ?? throw new ArgumentException($"{settings.GetType().Name} has no property {property}.", nameof(property));
        var converted = value is null ? null : Convert.ChangeType(value, propertyInfo.PropertyType, CultureInfo.InvariantCulture);
        propertyInfo.SetValue(settings, converted);
    }
}
