using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// On one machine the replicas' boundary is loopback: a replica answers only processes on the
/// machine, and callers from the network reach a model only through the gateway, which holds its
/// keys and limits. Read from the kernel's socket tables, not from what the replica says of itself.
/// </summary>
public sealed class ReplicaListenAddressTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private const string Listen = "0A";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_replica_listens_on_loopback_only()
    {
        using var response = await deployer.CreateAsync("loopback", deployer.ModelVariant(replicas: 2), cancellationToken: Ct);
        var ready = await deployer.WaitForReadyAsync("loopback", Ct);
        var pids = deployer.Replicas("loopback");

        var listening = pids.SelectMany(ListeningSockets).ToList();

        var grpc = await GrpcEndpointsAsync(2);

        Assert.Equal(2, pids.Count);
        // The sockets found are the replicas' serving ones: their ports are the endpoints the deployer
        // reports, REST and gRPC (the route table's gRPC address of each).
        var endpoints = ready.Status.Variants[VariantNames.Stable].Endpoints;
        Assert.Equal(2, grpc.Count);
        Assert.Equal(
            endpoints.Concat(endpoints.Select(endpoint => grpc[endpoint])).Select(endpoint => new Uri(endpoint).Port).Order(),
            listening.Select(endpoint => endpoint.Port).Distinct().Order());
        Assert.All(listening, endpoint => Assert.True(IPAddress.IsLoopback(endpoint.Address), $"a replica listens on {endpoint}"));
    }

    /// <summary>The route table's gRPC addresses of the model's replicas, once it lists <paramref name="count"/> of them.</summary>
    private async Task<IReadOnlyDictionary<string, string>> GrpcEndpointsAsync(int count)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var grpc = (await deployer.RoutesAsync(deadline.Token)).Models.Single(model => model.Name == "loopback").Variants.Single().GrpcEndpoints;
            if (grpc?.Count == count)
            {
                return grpc;
            }

            await Task.Delay(50, deadline.Token);
        }
    }

    /// <summary>The TCP sockets process <paramref name="pid"/> listens on, from /proc/{pid}/fd and /proc/{pid}/net/tcp(6).</summary>
    private static IEnumerable<IPEndPoint> ListeningSockets(int pid)
    {
        var inodes = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            .Select(target => target![8..^1])
            .ToHashSet(StringComparer.Ordinal);
        foreach (var table in new[] { "tcp", "tcp6" })
        {
            // Columns: sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            foreach (var line in File.ReadLines($"/proc/{pid}/net/{table}").Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns[3] == Listen && inodes.Contains(columns[9]))
                {
                    yield return Endpoint(columns[1]);
                }
            }
        }
    }

    /// <summary>An address as the kernel prints it: hex 32-bit words in the host's byte order, then the port.</summary>
    private static IPEndPoint Endpoint(string text)
    {
        var (address, port) = (text[..text.IndexOf(':', StringComparison.Ordinal)], text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        var bytes = new byte[address.Length / 2];
        for (var word = 0; word < address.Length / 8; word++)
        {
            var value = uint.Parse(address.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(word * 4), value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(word * 4), value);
            }
        }

        return new IPEndPoint(new IPAddress(bytes), int.Parse(port, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }
}
