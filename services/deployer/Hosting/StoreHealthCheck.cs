using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Hosting;

/// <summary>Ready while the store answers.</summary>
internal sealed class StoreHealthCheck(IDeploymentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var deployments = await store.ListAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{deployments.Count} deployments in the store.");
        }
#pragma warning disable CA1031 // Any store failure makes the deployer unready; the probe reports it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return HealthCheckResult.Unhealthy("The store does not answer.", ex);
        }
    }
}
