using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Mirroring;

/// <summary>Checks a gateway's comparison report before it is taken, naming each bad field.</summary>
internal static class ComparisonReportValidator
{
    public const int MaxModels = 10_000;
    public const int MaxWorst = 100;

    public static Dictionary<string, string[]>? Validate(GatewayComparisonReport? report)
    {
        if (report is null)
        {
            return new() { ["$"] = ["A report body is required."] };
        }

        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(report.Gateway) || report.Gateway.Length > 200)
        {
            errors["gateway"] = ["is required: the reporting gateway's name, at most 200 characters."];
        }

        if (report.Models is null || report.Models.Count > MaxModels)
        {
            errors["models"] = [$"is required, with at most {MaxModels} entries."];
            return errors;
        }

        var buckets = ComparisonBuckets.MaxAbsDiffBounds.Count + 1;
        for (var i = 0; i < report.Models.Count; i++)
        {
            var at = $"models[{i}]";
            var model = report.Models[i];
            if (model is null)
            {
                errors[at] = ["must not be null."];
                continue;
            }

            if (string.IsNullOrEmpty(model.Model) || string.IsNullOrEmpty(model.Canary))
            {
                errors[at + ".model"] = ["model and canary are required."];
            }

            long[] counts = [model.Mirrored, model.Dropped, model.TooLarge, model.CanaryErrors, model.Uncomparable, model.Compared,
                model.WithinTolerance, model.ArgmaxCompared, model.ArgmaxAgreed, model.Disagreeing];
            if (counts.Any(static count => count < 0) || model.WithinTolerance > model.Compared || model.Disagreeing > model.Compared ||
                model.ArgmaxAgreed > model.ArgmaxCompared || model.ArgmaxCompared > model.Compared)
            {
                errors[at + ".compared"] = ["counts must not be negative, and no part of the compared pairs more than them."];
            }

            if (model.MaxAbsDiffBuckets is null || model.MaxAbsDiffBuckets.Count != buckets || model.MaxAbsDiffBuckets.Any(static count => count < 0))
            {
                errors[at + ".maxAbsDiffBuckets"] = [$"must hold {buckets} counts, none negative: one per bound of the difference histogram and the overflow."];
            }

            if (model.Worst is null || model.Worst.Count > MaxWorst || model.Worst.Any(static e => e is null || string.IsNullOrEmpty(e.RequestId) || e.RequestId.Length > 200))
            {
                errors[at + ".worst"] = [$"is required, with at most {MaxWorst} examples, each with a request id of at most 200 characters."];
            }
        }

        return errors.Count == 0 ? null : errors;
    }
}
