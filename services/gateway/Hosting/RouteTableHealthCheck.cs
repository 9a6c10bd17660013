using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Hosting;

/// <summary>
/// Ready once a route table arrived. A deployer that stops answering afterwards makes the gateway
/// Degraded (still 200: it keeps serving the last table), with the reason in the details.
/// </summary>
internal sealed class RouteTableHealthCheck(RouteTableState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (state.Serving is not { } table)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                "No route table yet: the deployer has not answered." + (state.LastError is { } first ? $" ({first})" : string.Empty)));
        }

        var data = new Dictionary<string, object>
        {
            ["routeTableVersion"] = table.Version,
            ["models"] = table.Models.Count,
            ["deployerReachable"] = state.LastError is null,
            ["lastContact"] = state.LastContact,
        };
        return Task.FromResult(state.LastError is { } error
            ? HealthCheckResult.Degraded($"Serving route table {table.Version}; the deployer does not answer: {error}", data: data)
            : HealthCheckResult.Healthy($"Serving route table {table.Version}.", data));
    }
}
