using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Mirroring;
using ModelPlatform.Deployer.Security;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Api;

/// <summary>
/// The shadow comparison: <c>GET /v1/deployments/{name}/comparison</c> reads it (reader role), and
/// <c>POST /v1/telemetry/comparisons</c> takes the gateways' cumulative comparisons (gateway role).
/// </summary>
internal static class ComparisonApi
{
    public static IEndpointRouteBuilder MapComparisonApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/deployments/{name}/comparison", GetComparison)
            .WithTags("Deployments")
            .WithName("GetDeploymentComparison")
            .WithSummary("How the canary's answers to mirrored requests compare with stable's, summed over every gateway.")
            .WithDescription("Counts (mirrored, dropped, canary errors, skipped: too large or not comparable, compared, disagreeing), the rates of " +
                "compared pairs within tolerance, with the same arg-max, and disagreeing, the histogram of each pair's largest absolute difference, " +
                "and the worst pairs by request id. It starts afresh when the canary changes; without a canary, all counts are zero.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Read);
        app.MapPost("/v1/telemetry/comparisons", Report)
            .WithTags("Telemetry")
            .WithName("ReportGatewayComparisons")
            .WithSummary("A gateway's cumulative mirror comparisons per model and canary (sent by gateways every few seconds).")
            .WithDescription("Comparisons of a canary other than the deployment's current one are ignored.")
            .Accepts<GatewayComparisonReport>("application/json")
            .RequireAuthorization(Policies.Report);
        return app;
    }

    internal static async Task<Results<Ok<DeploymentComparison>, ProblemHttpResult>> GetComparison(
        string name, IDeploymentStore store, IOutputComparison comparison, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(name, cancellationToken);
        if (stored is null)
        {
            return DeploymentResults.NotFound(name);
        }

        var record = stored.Record;
        var canary = GatewayComparisons.CanaryOf(record);
        var counts = comparison.Read(record);
        var bounds = ComparisonBuckets.MaxAbsDiffBounds;
        return TypedResults.Ok(new DeploymentComparison(
            name, canary, canary is null ? 0 : record.Mirror, counts.Mirrored, counts.Dropped, counts.CanaryErrors,
            counts.TooLarge + counts.Uncomparable, counts.TooLarge, counts.Uncomparable, counts.Compared, counts.Disagreeing,
            OutputComparisons.AgreementRate(counts), OutputComparisons.ArgmaxAgreementRate(counts), OutputComparisons.DisagreementRate(counts),
            [.. counts.MaxAbsDiffBuckets.Select((count, i) => new DifferenceBucket(i < bounds.Count ? bounds[i] : null, count))],
            counts.Worst));
    }

    internal static async Task<Results<NoContent, ValidationProblem>> Report(
        GatewayComparisonReport? report, IDeploymentStore store, GatewayComparisons comparisons, CancellationToken cancellationToken)
    {
        if (ComparisonReportValidator.Validate(report) is { } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        foreach (var counts in report!.Models)
        {
            // Only the current canary's: a gateway that has not yet seen a new canary reports on the old one.
            if ((await store.GetAsync(counts.Model, cancellationToken))?.Record is { } record)
            {
                comparisons.Accept(report.Gateway, record, counts);
            }
        }

        return TypedResults.NoContent();
    }
}
