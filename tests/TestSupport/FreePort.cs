using System.Net;
using System.Net.Sockets;

namespace ModelPlatform.Testing;

/// <summary>Finds a loopback port nobody listens on, and never the same one twice in a test process.</summary>
public static class FreePort
{
    // The kernel may hand the same ephemeral port to two listeners opened one after the other once
    // the first is closed: a server given two "free" ports (HTTP and gRPC) then got one port twice.
    private static readonly HashSet<int> HandedOut = [];

    public static int Next()
    {
        lock (HandedOut)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
