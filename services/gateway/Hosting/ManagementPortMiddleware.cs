using Microsoft.Extensions.Options;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.Proxy;
using ModelPlatform.ServiceDefaults;

namespace ModelPlatform.Gateway.Hosting;

/// <summary>
/// With <see cref="GatewayOptions.ManagementPort"/> set: the probes and <c>/metrics</c> answer on that
/// port only, and nothing else does. Decided by the endpoint routing chose, not by the path, so no
/// spelling of <c>/metrics</c> reaches it from a public port.
/// </summary>
internal sealed class ManagementPortMiddleware(RequestDelegate next, IOptions<GatewayOptions> options, GatewayErrors errors)
{
    private readonly int _port = options.Value.ManagementPort;

    public Task InvokeAsync(HttpContext context)
    {
        var management = context.GetEndpoint()?.Metadata.GetMetadata<ManagementEndpoint>() is not null;
        if (management == (context.Connection.LocalPort == _port))
        {
            return next(context);
        }

        return errors.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", $"Nothing is served at {context.Request.Path} on this port.");
    }
}
