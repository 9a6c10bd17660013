using Dapr.Client;
using Dapr.Client.Autogen.Grpc.v1;
using Dapr.DurableTask.Protobuf;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State.Dapr;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>
/// An in-process stand-in for the Dapr sidecar's state, metadata and workflow APIs: the real gRPC
/// services (<c>dapr.proto.runtime.v1.Dapr</c>, and <c>TaskHubSidecarService</c> for Dapr Workflow,
/// see <see cref="FakeWorkflowEngine"/>) with the message types of the Dapr SDK's own contracts, over
/// HTTP/2, so DaprClient and the Dapr Workflow SDK talk to it exactly as to a sidecar. It is a
/// stand-in, not daprd: no actors, placement, scheduler or resiliency policies. The store behaves
/// like a transactional database component (PostgreSQL): ETags are versions, a write naming a
/// stale ETag is refused with Aborted (which DaprClient reports as a failed Try), a first-write
/// without an ETag is refused when the key exists, and a transaction applies all of its
/// operations or none. Its metadata lists <see cref="Components"/>.
/// </summary>
internal sealed class FakeDaprSidecar : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeDaprSidecar(WebApplication app, FakeStateStore store, FakeWorkflowEngine workflows, int port)
    {
        _app = app;
        Store = store;
        Workflows = workflows;
        Port = port;
        Client = new DaprClientBuilder().UseGrpcEndpoint($"http://127.0.0.1:{port}").UseHttpEndpoint($"http://127.0.0.1:{port}").Build();
    }

    public FakeStateStore Store { get; }

    public FakeWorkflowEngine Workflows { get; }

    /// <summary>The port of both APIs (gRPC and, for DaprClient's HTTP side, the same address).</summary>
    public int Port { get; }

    /// <summary>What a deployer process needs to find this sidecar, as the injector would set them.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{Port}",
        ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{Port}",
    };

    public DaprClient Client { get; }

    /// <summary>The components the metadata API reports; by default the deployer's store as PostgreSQL.</summary>
    public List<RegisteredComponents> Components { get; } =
    [
        new() { Name = FakeStateStore.Name, Type = "state.postgresql", Version = "v2", Capabilities = { "ETAG", "TRANSACTIONAL", "ACTOR" } },
    ];

    /// <summary>The deployer's view of the store, through this sidecar.</summary>
    public DaprState State(string store = FakeStateStore.Name, TimeProvider? time = null) =>
        new(Client, Options.Create(new DeployerOptions { Dapr = new DaprRuntimeOptions { StateStore = store } }), time);

    public static async Task<FakeDaprSidecar> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(port, listen => listen.Protocols = HttpProtocols.Http2));
        var store = new FakeStateStore();
        var workflows = new FakeWorkflowEngine();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(workflows);
        builder.Services.AddSingleton<IServiceMethodProvider<FakeStateStore>, StateApiMethods>();
        builder.Services.AddSingleton<IServiceMethodProvider<FakeWorkflowEngine>, WorkflowApiMethods>();
        var app = builder.Build();
        app.MapGrpcService<FakeStateStore>();
        app.MapGrpcService<FakeWorkflowEngine>();
        await app.StartAsync();
        var sidecar = new FakeDaprSidecar(app, store, workflows, port);
        store.Metadata = () => new GetMetadataResponse
        {
            Id = "deployer",
            RegisteredComponents = { sidecar.Components },
            Workflows = new MetadataWorkflows { ConnectedWorkers = workflows.ConnectedWorkers },
        };
        return sidecar;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        // Open work item streams end first, or the host would wait for them to stop.
        Workflows.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Binds the state methods of the Dapr service by their wire names.</summary>
    private sealed class StateApiMethods : IServiceMethodProvider<FakeStateStore>
    {
        private const string Service = "dapr.proto.runtime.v1.Dapr";

        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FakeStateStore> context)
        {
            context.AddUnaryMethod(Method<GetMetadataRequest, GetMetadataResponse>("GetMetadata"), [], (store, _, _) => Task.FromResult(store.Metadata()));
            context.AddUnaryMethod(Method<GetStateRequest, GetStateResponse>("GetState"), [], (store, request, _) => Task.FromResult(store.Get(request)));
            context.AddUnaryMethod(Method<GetBulkStateRequest, GetBulkStateResponse>("GetBulkState"), [], (store, request, _) => Task.FromResult(store.GetBulk(request)));
            context.AddUnaryMethod(Method<SaveStateRequest, Google.Protobuf.WellKnownTypes.Empty>("SaveState"), [], (store, request, _) => Task.FromResult(store.Save(request)));
            context.AddUnaryMethod(Method<DeleteStateRequest, Google.Protobuf.WellKnownTypes.Empty>("DeleteState"), [], (store, request, _) => Task.FromResult(store.Delete(request)));
            context.AddUnaryMethod(
                Method<ExecuteStateTransactionRequest, Google.Protobuf.WellKnownTypes.Empty>("ExecuteStateTransaction"), [], (store, request, _) => Task.FromResult(store.Transact(request)));
        }

        private static Method<TRequest, TResponse> Method<TRequest, TResponse>(string name)
            where TRequest : class, IMessage<TRequest>, new()
            where TResponse : class, IMessage<TResponse>, new() => WireMethod<TRequest, TResponse>(MethodType.Unary, Service, name);
    }

    /// <summary>Binds the Dapr Workflow methods the SDK's worker and client call, by their wire names.</summary>
    private sealed class WorkflowApiMethods : IServiceMethodProvider<FakeWorkflowEngine>
    {
        // The durabletask protocol's service, declared without a package.
        private const string Service = "TaskHubSidecarService";

        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FakeWorkflowEngine> context)
        {
            context.AddUnaryMethod(Unary<Google.Protobuf.WellKnownTypes.Empty, Google.Protobuf.WellKnownTypes.Empty>("Hello"), [], (engine, _, _) => Task.FromResult(engine.Hello()));
            context.AddUnaryMethod(Unary<CreateInstanceRequest, CreateInstanceResponse>("StartInstance"), [], (engine, request, _) => Task.FromResult(engine.Start(request)));
            context.AddUnaryMethod(Unary<GetInstanceRequest, GetInstanceResponse>("GetInstance"), [], (engine, request, _) => Task.FromResult(engine.Get(request)));
            context.AddUnaryMethod(
                Unary<GetInstanceRequest, GetInstanceResponse>("WaitForInstanceCompletion"), [], (engine, request, call) => engine.WaitForCompletionAsync(request, call.CancellationToken));
            context.AddServerStreamingMethod(
                WireMethod<GetWorkItemsRequest, WorkItem>(MethodType.ServerStreaming, Service, "GetWorkItems"), [],
                (engine, _, stream, call) => engine.StreamWorkItemsAsync(stream, call.CancellationToken));
            context.AddUnaryMethod(Unary<WorkflowResponse, CompleteTaskResponse>("CompleteOrchestratorTask"), [], (engine, response, _) => Task.FromResult(engine.CompleteWorkflow(response)));
            context.AddUnaryMethod(Unary<WorkflowResponse, CompleteTaskResponse>("CompleteWorkflowTask"), [], (engine, response, _) => Task.FromResult(engine.CompleteWorkflow(response)));
            context.AddUnaryMethod(Unary<ActivityResponse, CompleteTaskResponse>("CompleteActivityTask"), [], (engine, response, _) => Task.FromResult(engine.CompleteActivity(response)));
        }

        private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name)
            where TRequest : class, IMessage<TRequest>, new()
            where TResponse : class, IMessage<TResponse>, new() => WireMethod<TRequest, TResponse>(MethodType.Unary, Service, name);
    }

    private static Method<TRequest, TResponse> WireMethod<TRequest, TResponse>(MethodType type, string service, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var requests = new MessageParser<TRequest>(() => new TRequest());
        var responses = new MessageParser<TResponse>(() => new TResponse());
        return new Method<TRequest, TResponse>(
            type,
            service,
            name,
            Marshallers.Create(message => message.ToByteArray(), requests.ParseFrom),
            Marshallers.Create(message => message.ToByteArray(), responses.ParseFrom));
    }
}
