using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>Refuses, at start, Kubernetes timings that would make one clock hide another (see <see cref="RolloutTimings"/>).</summary>
internal sealed class KubernetesOptionsValidator : IValidateOptions<DeployerOptions>
{
    public ValidateOptionsResult Validate(string? name, DeployerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provisioner != ProvisionerKind.Kubernetes)
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        var readySeconds = options.ReadyTimeout.TotalSeconds;
        var deadline = RolloutTimings.ProgressDeadlineSeconds(options);
        if (options.Kubernetes.ProgressDeadlineSeconds is { } explicitDeadline && explicitDeadline >= readySeconds)
        {
            failures.Add(
                $"Deployer:Kubernetes:ProgressDeadlineSeconds ({explicitDeadline}) must be shorter than Deployer:ReadyTimeout ({readySeconds:0} s): " +
                "otherwise the deployer gives up before the controller can say why the rollout stalled. Leave it unset to derive it from ReadyTimeout.");
        }

        if (options.Kubernetes.StartupTimeoutSeconds is { } startup && startup > deadline)
        {
            failures.Add(
                $"Deployer:Kubernetes:StartupTimeoutSeconds ({startup}) must not exceed the progress deadline ({deadline} s): " +
                "a rollout whose pods are still starting would be declared failed first. Raise Deployer:ReadyTimeout (or ProgressDeadlineSeconds) with it.");
        }

        if (options.Kubernetes.ModelStoreUrl is { } store && !(store.IsAbsoluteUri && store.Scheme is "http" or "https" && string.IsNullOrEmpty(store.Query + store.Fragment)))
        {
            failures.Add($"Deployer:Kubernetes:ModelStoreUrl ('{store}') must be an absolute http or https URL without query or fragment: the deployer's address as model pods reach it.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
