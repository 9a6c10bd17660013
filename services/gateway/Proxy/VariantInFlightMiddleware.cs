using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Telemetry;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// Counts the requests in flight to each variant. It runs after load balancing, which has narrowed
/// the destinations to its pick, so the variant is known; each retry is counted while it runs.
/// </summary>
internal sealed class VariantInFlightMiddleware(RequestDelegate next, GatewayMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations.Count != 1)
        {
            await next(context);
            return;
        }

        var model = VariantMetadata.ModelOf(proxy);
        var variant = VariantMetadata.VariantOf(proxy.AvailableDestinations[0]);
        metrics.InFlight(model, variant, 1);
        try
        {
            await next(context);
        }
        finally
        {
            metrics.InFlight(model, variant, -1);
        }
    }
}
