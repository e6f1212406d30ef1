using System.Text.Json;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every service inherits: validated settings, health, telemetry (OTLP and Prometheus),
/// structured logs, service discovery, resilient HTTP clients and problem+json errors.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    public const string MetricsEndpointPath = "/metrics";
    private const string LiveTag = "live";

    /// <summary>
    /// Distinct attribute sets kept per metric stream; more are summed into one series tagged
    /// <c>otel.metric.overflow</c>. OpenTelemetry allocates room for the whole limit up front, per
    /// instrument and per reader (Prometheus and OTLP). With its default of 2000, ingest's
    /// large-object heap held 25 MB of such arrays for series that never exist (7 MB in all with
    /// this limit); mostly untouched pages, so resident memory moved less, but the heap's committed
    /// size fell from 48 to 27 MB. Ours carry a handful of attribute sets each; the busiest, the
    /// API's request duration, one per route, method and status.
    /// </summary>
    public const int MetricCardinalityLimit = 200;

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSingleton(builder.Configuration.AddFlatEnvironmentNames());
        builder.AddValidatedSettings<BaseServiceSettings>(BaseServiceSettings.SectionName);
        var service = builder.ReadBeforeValidation<BaseServiceSettings>(BaseServiceSettings.SectionName);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(service.ShutdownTimeoutSeconds));
        // Kestrel's default is 30 MB; endpoints that need more (ingest's batches) raise it per request.
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = service.MaxRequestBodyBytes);

        builder.AddTemporaryDataProtectionKeys();

        builder.ConfigureStructuredLogging();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks(service);

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // By default only Development throws for a body that cannot be bound, so elsewhere the caller
        // got a bare 400; thrown, the handler above names what was wrong in every environment.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(options => UsePlatformJson(options.SerializerOptions));
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>
    /// Services run on a read-only root filesystem with only <c>/tmp</c> writable, as a user without
    /// a home directory, where the default key folder (<c>~/.aspnet</c>) cannot be written. No
    /// service protects anything that must outlive its process (no cookies, no antiforgery tokens),
    /// so the keys the authentication stack creates at start-up live in the temporary folder.
    /// </summary>
    private static void AddTemporaryDataProtectionKeys(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDataProtection()
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetTempPath(), "data-protection-keys")));
        // Its warning that keys are stored unencrypted is about keys at rest on shared storage;
        // these sit on the container's private tmpfs, readable only by the service's user, and go
        // with it. Errors still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
    }

    /// <summary>JSON console logs outside Development, every entry carrying its trace and span ids.</summary>
    public static TBuilder ConfigureStructuredLogging<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.Configure(options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(Telemetry.MeterName)
                .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = MetricCardinalityLimit })
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName, Telemetry.ActivitySourceName)
                .AddAspNetCoreInstrumentation(options =>
                    // Probes and scrapes arrive every few seconds; tracing them would bury real requests.
                    options.Filter = context => !IsInfrastructurePath(context.Request.Path))
                .AddHttpClientInstrumentation());

        // The AppHost sets the endpoint; without it (tests, plain runs) nothing is exported.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        return builder;
    }

    private static void AddDefaultHealthChecks(this IHostApplicationBuilder builder, BaseServiceSettings service)
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

        // Every check gets the configured timeout unless it set its own, so a hung dependency
        // turns /health unhealthy quickly instead of hanging the probe.
        builder.Services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations.Where(r => r.Timeout == Timeout.InfiniteTimeSpan))
            {
                registration.Timeout = TimeSpan.FromSeconds(service.HealthCheckTimeoutSeconds);
            }
        });
    }

    /// <summary>
    /// <c>/health</c> (readiness: every check, the database included), <c>/alive</c> (liveness: the
    /// process answers) and <c>/metrics</c> (Prometheus text), in every environment: orchestrators
    /// and scrapers call them in production too.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        app.MapPrometheusScrapingEndpoint(MetricsEndpointPath);
        return app;
    }

    /// <summary>
    /// Request and response bodies follow the contracts' wire rules (source-generated, strict
    /// numbers, nullability respected) so an endpoint cannot accept what the schemas forbid.
    /// </summary>
    private static void UsePlatformJson(JsonSerializerOptions options)
    {
        var platform = AnalyticsJson.Options;
        options.PropertyNamingPolicy = platform.PropertyNamingPolicy;
        options.DefaultIgnoreCondition = platform.DefaultIgnoreCondition;
        options.NumberHandling = platform.NumberHandling;
        options.AllowOutOfOrderMetadataProperties = platform.AllowOutOfOrderMetadataProperties;
        options.RespectNullableAnnotations = platform.RespectNullableAnnotations;
        options.RespectRequiredConstructorParameters = platform.RespectRequiredConstructorParameters;
        // The context's converters (strict RFC 3339 timestamps) apply only to options that carry
        // them, and request records outside the context are read with these options too.
        foreach (var converter in platform.Converters)
        {
            options.Converters.Add(converter);
        }
        options.TypeInfoResolverChain.Insert(0, AnalyticsJsonContext.Default);
    }

    private static bool IsInfrastructurePath(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath) ||
        path.StartsWithSegments(AlivenessEndpointPath) ||
        path.StartsWithSegments(MetricsEndpointPath);
}
