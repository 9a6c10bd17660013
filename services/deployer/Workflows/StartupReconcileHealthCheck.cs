using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>Not ready until the start-up reconcile has brought back what was serving.</summary>
internal sealed class StartupReconcileHealthCheck(StartupReconciler reconciler) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(reconciler.Completed
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The start-up reconcile has not finished."));
}
