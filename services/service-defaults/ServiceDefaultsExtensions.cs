using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ModelPlatform.ServiceDefaults;

/// <summary>
/// What every service of the platform shares: OpenTelemetry traces, metrics and logs (OTLP when
/// an endpoint is configured, Prometheus at <c>/metrics</c> always), health checks and problem details.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Tag of health checks that decide readiness; the others decide liveness.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Path of the liveness probe.</summary>
    public const string LivePath = "/healthz";

    /// <summary>Path of the readiness probe.</summary>
    public const string ReadyPath = "/readyz";

    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Adds telemetry, health checks and problem details. <paramref name="meters"/> and
    /// <paramref name="activitySources"/> name the service's own instruments;
    /// <paramref name="httpClientMetrics"/> false leaves out <c>System.Net.Http</c>'s per-request
    /// client metrics, for a service whose own instruments already measure every outgoing call;
    /// <paramref name="aspNetCoreMetrics"/> false leaves out ASP.NET Core's (hosting, Kestrel, routing),
    /// for one whose own instruments already measure every request it serves.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(
        this TBuilder builder,
        IEnumerable<string>? meters = null,
        IEnumerable<string>? activitySources = null,
        bool httpClientMetrics = true,
        bool aspNetCoreMetrics = true)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var meterNames = meters?.ToArray() ?? [];
        var sourceNames = activitySources?.ToArray() ?? [];

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // The name and instance a launcher gives (the app host; the deployer, per deployment,
                // variant and replica) are what the dashboard files telemetry under: the
                // application's own name is only the fallback, and AddService would overwrite both.
                if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(builder.Environment.ApplicationName);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddRuntimeInstrumentation().AddMeter(meterNames).AddPrometheusExporter();
                if (aspNetCoreMetrics)
                {
                    metrics.AddAspNetCoreInstrumentation();
                }

                if (httpClientMetrics)
                {
                    metrics.AddHttpClientInstrumentation();
                }
            });

        // Spans are only recorded when there is somewhere to send them: without an exporter they
        // cost every request (the gateway measured ~4 points of throughput) and reach no one. A
        // caller's traceparent still reaches the model servers, forwarded as a header.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(builder.Environment.ApplicationName)
                    .AddSource(sourceNames)
                    .AddAspNetCoreInstrumentation(options =>
                        // Probes and scrapes would drown the traces that matter.
                        options.Filter = context => !IsInfrastructurePath(context.Request.Path))
                    // The probing side too: the gateway's and the deployer's checks of each replica.
                    .AddHttpClientInstrumentation(options => options.FilterHttpRequestMessage = request =>
                        request.RequestUri is not { IsAbsoluteUri: true } uri || !IsInfrastructurePath(new PathString(uri.AbsolutePath))))
                .UseOtlpExporter();
        }

        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }

    /// <summary>Maps <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>, each marked <see cref="ManagementEndpoint"/>.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(LivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
        }).WithMetadata(ManagementEndpoint.Instance);
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        }).WithMetadata(ManagementEndpoint.Instance);
        app.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(ManagementEndpoint.Instance);
        return app;
    }

    private static bool IsInfrastructurePath(PathString path) =>
        path.StartsWithSegments(LivePath) || path.StartsWithSegments(ReadyPath) ||
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/v2/health");
}
