using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Hosting;

/// <summary>Readiness for <c>/readyz</c>: the same rule as <c>/v2/health/ready</c>.</summary>
internal sealed class ModelReadyHealthCheck(ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(host.IsReady
            ? HealthCheckResult.Healthy($"Model '{host.Name}' is ready on {host.Model?.ExecutionProvider}.")
            : HealthCheckResult.Unhealthy($"Model '{host.Name}' is not ready: {host.NotReadyReason}."));
}
