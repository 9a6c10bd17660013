using Dapr.Workflow;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Provisioning;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>
/// Waits until every replica of the set is ready, or says why it will not be. A stopping deployer
/// cuts the wait short; the workflow's engine runs it again after the restart.
/// </summary>
internal sealed class AwaitVariantReadyActivity(IReplicaProvisioner provisioner, IOptions<DeployerOptions> options, IHostApplicationLifetime lifetime)
    : WorkflowActivity<string, ReplicaSetReadiness>
{
    public override Task<ReplicaSetReadiness> RunAsync(WorkflowActivityContext context, string input) =>
        provisioner.WaitUntilReadyAsync(input, options.Value.ReadyTimeout, lifetime.ApplicationStopping);
}
