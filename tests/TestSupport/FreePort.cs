using System.Net;
using System.Net.Sockets;

namespace ModelPlatform.Testing;

/// <summary>Finds a loopback port nobody listens on.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
