using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>
/// The Open Inference Protocol over gRPC on a cluster: the reference server's pods and Service carry
/// port 8081 named <c>grpc</c> with <c>GRPC_PORT</c>; an image gets one only when its variant declares
/// <c>grpcPort</c>; and the route table's variant says where its gRPC goes.
/// </summary>
public sealed class GrpcPortTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_reference_server_pod_and_its_service_carry_the_grpc_port_8081()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("addmul", new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "file:///models/add-mul.onnx" } });

        await bed.Provisioner.EnsureAsync(set, Ct);

        var container = bed.Cluster.Get(Resource.Deployments, set.Id)!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == "GRPC_PORT" && (string?)e["value"] == "8081");
        Assert.Contains(container["ports"]!.AsArray(), p => (string?)p!["name"] == "grpc" && (int?)p["containerPort"] == 8081);
        var servicePorts = bed.Cluster.Get(Resource.Services, set.Id)!["spec"]!["ports"]!.AsArray();
        Assert.Contains(servicePorts, p => (string?)p!["name"] == "grpc" && (int?)p["port"] == 8081 && (string?)p["targetPort"] == "grpc");
    }

    [Fact]
    public async Task An_image_without_grpc_port_gets_no_grpc_port_or_variable()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("plain", KubernetesTestBed.Image());

        await bed.Provisioner.EnsureAsync(set, Ct);

        var container = bed.Cluster.Get(Resource.Deployments, set.Id)!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.DoesNotContain(container["env"]!.AsArray(), e => (string?)e!["name"] == "GRPC_PORT");
        Assert.Single(container["ports"]!.AsArray());
        Assert.Single(bed.Cluster.Get(Resource.Services, set.Id)!["spec"]!["ports"]!.AsArray());
        bed.Cluster.MakeReady(set.Id);
        Assert.True((await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct)).Ready);
        var observed = await ObserveUntilAsync(bed, set.Id, o => o.Ready == 1);
        Assert.Single(observed.ReadyEndpoints);
        Assert.Empty(observed.ReadyGrpcEndpoints);
    }

    [Fact]
    public async Task An_image_that_declares_grpc_port_gets_it_and_routes_grpc_to_its_service()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("triton", KubernetesTestBed.Image() with { GrpcPort = 8001 });

        await bed.Provisioner.EnsureAsync(set, Ct);
        bed.Cluster.MakeReady(set.Id);
        Assert.True((await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct)).Ready);

        var container = bed.Cluster.Get(Resource.Deployments, set.Id)!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == "GRPC_PORT" && (string?)e["value"] == "8001");
        Assert.Contains(container["ports"]!.AsArray(), p => (string?)p!["name"] == "grpc" && (int?)p["containerPort"] == 8001);
        var observed = await ObserveUntilAsync(bed, set.Id, o => o.Ready == 1);
        var service = KubernetesTestBed.ServiceAddress(set.Id);
        Assert.Equal(new Dictionary<string, string> { [service] = $"http://{set.Id}.models.svc.cluster.local:8001" }, observed.ReadyGrpcEndpoints);
    }

    private static async Task<Provisioning.ReplicaSetObservation> ObserveUntilAsync(KubernetesTestBed bed, string set, Func<Provisioning.ReplicaSetObservation, bool> condition)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        while (bed.Provisioner.Observe(set) is not { } observed || !condition(observed))
        {
            await Task.Delay(20, deadline.Token);
        }

        return bed.Provisioner.Observe(set)!;
    }
}
