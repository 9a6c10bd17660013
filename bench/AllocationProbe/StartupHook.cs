using System.Globalization;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// A benchmark-only startup hook: loaded into a process by <c>DOTNET_STARTUP_HOOKS</c>, it answers
/// every connection to the Unix socket named by <c>ALLOCATION_PROBE_SOCKET</c> with the bytes the
/// process has allocated so far (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, the counter behind
/// the runtime's <c>dotnet.gc.heap.total_allocated</c>), then closes it. The benchmark reads it
/// before and after a load run, so the difference over the requests served is the allocation per
/// request. Nothing of it is in the product: a process started without the two variables has no
/// hook, no socket and no endpoint.
/// </summary>
internal static class StartupHook
{
    public const string SocketVariable = "ALLOCATION_PROBE_SOCKET";

    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable(SocketVariable);
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        File.Delete(path);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        // A thread of its own, blocked in accept: it takes nothing from the thread pool the server runs on.
        new Thread(() => Serve(listener)) { IsBackground = true, Name = "allocation probe" }.Start();
    }

    private static void Serve(Socket listener)
    {
        while (true)
        {
            using var connection = listener.Accept();
            // Precise: the bytes handed out in every thread's current allocation context count too.
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            connection.Send(Encoding.ASCII.GetBytes(allocated.ToString(CultureInfo.InvariantCulture) + "\n"));
            connection.Shutdown(SocketShutdown.Both);
        }
    }
}
