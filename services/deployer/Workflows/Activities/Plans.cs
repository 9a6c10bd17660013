using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>
/// Whether a workflow's plan still describes the deployment. A workflow resumed after a restart
/// may have been overtaken by a newer change (or a delete); its side effects then do nothing, so it
/// cannot undo what the newer workflow does.
/// </summary>
internal static class Plans
{
    public static async Task<bool> StillCurrentAsync(IDeploymentStore store, string deployment, long generation) =>
        await store.GetAsync(deployment, CancellationToken.None) is { Record: var record } && record.Generation == generation;
}
