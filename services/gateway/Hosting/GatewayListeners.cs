using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using ModelPlatform.Gateway.Configuration;

namespace ModelPlatform.Gateway.Hosting;

/// <summary>
/// Where the gateway listens: its REST addresses (<c>--urls</c> / <c>ASPNETCORE_URLS</c>, or
/// <c>HTTP_PORTS</c>, or loopback port 5000 when none is given), and beyond them the gRPC port
/// (<c>Gateway:GrpcPort</c>) and the management port (<c>Gateway:ManagementPort</c>), each on the
/// same hosts as the REST addresses; 0, the default, opens neither. gRPC clients speak cleartext HTTP/2 with prior knowledge, which Kestrel
/// accepts only on an endpoint that speaks HTTP/2 alone (without TLS there is no protocol
/// negotiation), so gRPC cannot share the REST port. Endpoints given in code replace the URLs, so
/// once either port is asked for, every address is bound here.
/// </summary>
internal static class GatewayListeners
{
    /// <summary>Where the gateway listens when no address is configured: loopback, as every service here.</summary>
    private const string Default = "http://127.0.0.1:5000";

    public static WebApplicationBuilder AddGatewayListeners(this WebApplicationBuilder builder)
    {
        if (RestAddresses(builder.Configuration) is not { } addresses)
        {
            builder.WebHost.UseUrls(Default);
            addresses = Parse([Default]);
        }

        var grpcPort = builder.Configuration.GetValue<int>($"{GatewayOptions.Section}:{nameof(GatewayOptions.GrpcPort)}");
        var managementPort = builder.Configuration.GetValue<int>($"{GatewayOptions.Section}:{nameof(GatewayOptions.ManagementPort)}");
        if (grpcPort == 0 && managementPort == 0)
        {
            return builder;
        }

        if (addresses.FirstOrDefault(address => !string.Equals(address.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase)) is { } other)
        {
            throw new InvalidOperationException(
                $"Gateway:GrpcPort and Gateway:ManagementPort need http:// addresses to listen beside, and {other} is not one; terminate TLS in front of the gateway, or leave both at 0.");
        }

        if (addresses.FirstOrDefault(address => address.IsUnixPipe || address.IsNamedPipe) is { } pipe)
        {
            throw new InvalidOperationException(
                $"Gateway:GrpcPort and Gateway:ManagementPort listen on TCP ports beside the REST addresses, and {pipe} is a socket file or pipe; give TCP addresses, or leave both at 0.");
        }

        var restPorts = addresses.Select(address => address.Port).ToHashSet();
        if (grpcPort != 0 && restPorts.Contains(grpcPort))
        {
            throw new InvalidOperationException($"Gateway:GrpcPort {grpcPort} is a REST port too; give gRPC a port of its own.");
        }

        if (managementPort != 0 && (restPorts.Contains(managementPort) || managementPort == grpcPort))
        {
            throw new InvalidOperationException(
                $"Gateway:ManagementPort {managementPort} is also a REST or the gRPC port; the probes and /metrics need a port of their own, kept off the public Service.");
        }

        // The addresses are bound below; left in place too, Kestrel would warn that it overrides them.
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, string.Empty);
        builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, string.Empty);
        builder.WebHost.UseSetting(WebHostDefaults.HttpsPortsKey, string.Empty);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var address in addresses)
            {
                Listen(kestrel, address.Host, address.Port, HttpProtocols.Http1AndHttp2);
            }

            foreach (var host in HostsOf(addresses))
            {
                if (grpcPort != 0)
                {
                    Listen(kestrel, host, grpcPort, HttpProtocols.Http2);
                }

                if (managementPort != 0)
                {
                    Listen(kestrel, host, managementPort, HttpProtocols.Http1);
                }
            }
        });
        return builder;
    }

    /// <summary>The REST addresses configured the usual ASP.NET Core ways, or null when none is.</summary>
    private static List<BindingAddress>? RestAddresses(ConfigurationManager configuration)
    {
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        if (!string.IsNullOrWhiteSpace(urls))
        {
            return Parse(urls.Split(';'));
        }

        // What Kestrel binds when no URLs are given: HTTP_PORTS (the .NET container images set it)
        // and HTTPS_PORTS.
        var httpPorts = configuration[WebHostDefaults.HttpPortsKey];
        var httpsPorts = configuration[WebHostDefaults.HttpsPortsKey];
        if (!string.IsNullOrWhiteSpace(httpPorts) || !string.IsNullOrWhiteSpace(httpsPorts))
        {
            return Parse([
                .. (httpPorts ?? string.Empty).Split(';').Where(port => !string.IsNullOrWhiteSpace(port)).Select(port => $"http://*:{port.Trim()}"),
                .. (httpsPorts ?? string.Empty).Split(';').Where(port => !string.IsNullOrWhiteSpace(port)).Select(port => $"https://*:{port.Trim()}"),
            ]);
        }

        return null;
    }

    /// <summary>
    /// The hosts to bind the extra ports on, each address once: every address when any REST address
    /// is a wildcard or a host name (binding a loopback address beside it would find the port taken),
    /// otherwise "localhost" (both loopbacks) and the other IP addresses.
    /// </summary>
    private static List<string> HostsOf(List<BindingAddress> addresses)
    {
        var ips = new List<IPAddress>();
        var localhost = false;
        foreach (var host in addresses.Select(address => address.Host))
        {
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                localhost = true;
            }
            else if (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any))
            {
                ips.Add(ip);
            }
            else
            {
                return ["*"];
            }
        }

        var distinct = ips.Where(ip => !(localhost && IPAddress.IsLoopback(ip))).Distinct().Select(ip => ip.ToString());
        return localhost ? ["localhost", .. distinct] : [.. distinct];
    }

    private static List<BindingAddress> Parse(IEnumerable<string> urls) =>
        [.. urls.Select(url => url.Trim()).Where(url => url.Length > 0).Select(BindingAddress.Parse)];

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
