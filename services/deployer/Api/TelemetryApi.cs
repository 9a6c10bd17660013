using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Security;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.Telemetry;
using ModelPlatform.Deployer.Telemetry.Embedded;

namespace ModelPlatform.Deployer.Api;

/// <summary>
/// Per-variant telemetry: <c>GET /v1/deployments/{name}/metrics</c> reads it (reader role), and
/// <c>POST /v1/telemetry/reports</c> takes the gateways' counts (gateway role) when they are the source.
/// </summary>
internal static class TelemetryApi
{
    public static IEndpointRouteBuilder MapTelemetryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/deployments/{name}/metrics", GetMetrics)
            .WithTags("Deployments")
            .WithName("GetDeploymentMetrics")
            .WithSummary("How each variant served end users over the last window, summed over every gateway.")
            .WithDescription("window: whole seconds, minutes or hours (30s, 5m, 1h; default 1m) between Deployer:Telemetry:MinWindow and MaxWindow. " +
                "Per variant: requests and their rate per second, server errors (5xx answers; transport failures apart) and client errors (4xx) " +
                "with their ratios, p50/p90/p99 latency in seconds, and the requests in flight now. 503 when the telemetry source cannot be read.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAuthorization(Policies.Read);
        app.MapPost("/v1/telemetry/reports", Report)
            .WithTags("Telemetry")
            .WithName("ReportGatewayTelemetry")
            .WithSummary("A gateway's cumulative per-variant counts (sent by gateways every few seconds).")
            .WithDescription("409 when the deployer reads Prometheus instead (Deployer:Telemetry:Source); the gateway then stops reporting.")
            .Accepts<GatewayTelemetryReport>("application/json")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireAuthorization(Policies.Report);
        return app;
    }

    internal static async Task<Results<Ok<DeploymentMetrics>, ValidationProblem, ProblemHttpResult>> GetMetrics(
        string name, string? window, IDeploymentStore store, IVariantTelemetry telemetry, IOptions<TelemetryOptions> options,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!TelemetryWindow.TryParse(window ?? TelemetryWindow.Default, out var span) || span < settings.MinWindow || span > settings.MaxWindow)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["window"] =
                [
                    $"must be whole seconds, minutes or hours (30s, 5m, 1h) from {TelemetryWindow.Describe(settings.MinWindow)} " +
                    $"to {TelemetryWindow.Describe(settings.MaxWindow)}, not '{window}'.",
                ],
            });
        }

        var stored = await store.GetAsync(name, cancellationToken);
        if (stored is null)
        {
            return DeploymentResults.NotFound(name);
        }

        TelemetryReading reading;
        try
        {
            reading = await telemetry.ReadAsync(name, span, cancellationToken);
        }
        catch (TelemetryUnavailableException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Telemetry unavailable", detail: ex.Message);
        }

        // The deployment's variants are always listed, with zeros before any request.
        string[] current = stored.Record.Canary is null ? [VariantNames.Stable] : [VariantNames.Stable, VariantNames.Canary];
        var variants = reading.Variants
            .Concat(current.Where(variant => reading.Variants.All(seen => seen.Variant != variant)).Select(Empty))
            .OrderBy(variant => variant.Variant, StringComparer.Ordinal)
            .ToList();
        return TypedResults.Ok(new DeploymentMetrics(name, span.TotalSeconds, telemetry.Source, reading.Gateways, variants));
    }

    internal static Results<NoContent, ValidationProblem, ProblemHttpResult> Report(
        GatewayTelemetryReport? report, IVariantTelemetry telemetry, GatewayReports reports)
    {
        if (telemetry is not GatewayReports)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Telemetry comes from Prometheus",
                detail: "This deployer reads the gateways' metrics from Prometheus (Deployer:Telemetry:Source); gateways need not report.");
        }

        if (GatewayReportValidator.Validate(report) is { } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return reports.Accept(report!)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many gateways",
                detail: "More gateways report than Deployer:Telemetry:MaxGateways allows; this one's counts are not taken.");
    }

    private static VariantMetrics Empty(string variant) => new(variant, 0, 0, 0, 0, 0, 0, 0, null, 0);
}
