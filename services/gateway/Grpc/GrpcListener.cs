using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using ModelPlatform.Gateway.Configuration;

namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// The gateway's gRPC port (<c>Gateway:GrpcPort</c>; 0, the default, opens none). gRPC clients speak
/// cleartext HTTP/2 with prior knowledge, which Kestrel accepts only on an endpoint that speaks
/// HTTP/2 alone: without TLS there is no protocol negotiation, so an endpoint that also speaks
/// HTTP/1.1 (the REST port) reads every connection as HTTP/1.1. So the gRPC port is a second endpoint,
/// on the same hosts as the REST addresses (<c>--urls</c> / <c>ASPNETCORE_URLS</c>), which Kestrel
/// then binds itself, since endpoints given in code replace the URLs.
/// </summary>
internal static class GrpcListener
{
    public static WebApplicationBuilder AddGrpcListener(this WebApplicationBuilder builder)
    {
        var port = builder.Configuration.GetValue<int>($"{GatewayOptions.Section}:{nameof(GatewayOptions.GrpcPort)}");
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey];
        if (port == 0 || string.IsNullOrWhiteSpace(urls))
        {
            return builder;
        }

        var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(BindingAddress.Parse).ToList();
        if (addresses.FirstOrDefault(address => !string.Equals(address.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase)) is { } other)
        {
            throw new InvalidOperationException(
                $"Gateway:GrpcPort needs http:// addresses to listen beside, and {other} is not one; terminate TLS in front of the gateway, or leave Gateway:GrpcPort at 0.");
        }

        // The addresses are bound below; left in place too, Kestrel would warn that it overrides them.
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, string.Empty);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var address in addresses)
            {
                Listen(kestrel, address.Host, address.Port, HttpProtocols.Http1AndHttp2);
            }

            foreach (var host in addresses.Select(address => address.Host).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                Listen(kestrel, host, port, HttpProtocols.Http2);
            }
        });
        return builder;
    }

    private static void Listen(KestrelServerOptions kestrel, string host, int port, HttpProtocols protocols)
    {
        void Configure(ListenOptions listen) => listen.Protocols = protocols;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
        {
            kestrel.Listen(ip, port, Configure);
        }
        else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(port, Configure);
        }
        else
        {
            // "*", "+" and host names: every address, as Kestrel binds them from URLs.
            kestrel.ListenAnyIP(port, Configure);
        }
    }
}
