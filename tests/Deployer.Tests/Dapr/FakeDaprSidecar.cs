using Dapr.Client;
using Dapr.Client.Autogen.Grpc.v1;
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
/// An in-process stand-in for the Dapr sidecar's state and metadata API: the real gRPC service
/// (<c>dapr.proto.runtime.v1.Dapr</c>) with the message types of <c>Dapr.Client</c>'s own
/// contracts, over HTTP/2, so DaprClient talks to it exactly as to a sidecar. The store behaves
/// like a transactional database component (PostgreSQL): ETags are versions, a write naming a
/// stale ETag is refused with Aborted (which DaprClient reports as a failed Try), a first-write
/// without an ETag is refused when the key exists, and a transaction applies all of its
/// operations or none. Its metadata lists <see cref="Components"/>.
/// </summary>
internal sealed class FakeDaprSidecar : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeDaprSidecar(WebApplication app, FakeStateStore store, int port)
    {
        _app = app;
        Store = store;
        Client = new DaprClientBuilder().UseGrpcEndpoint($"http://127.0.0.1:{port}").UseHttpEndpoint($"http://127.0.0.1:{port}").Build();
    }

    public FakeStateStore Store { get; }

    public DaprClient Client { get; }

    /// <summary>The components the metadata API reports; by default the deployer's store as PostgreSQL.</summary>
    public List<RegisteredComponents> Components { get; } =
    [
        new() { Name = FakeStateStore.Name, Type = "state.postgresql", Version = "v2", Capabilities = { "ETAG", "TRANSACTIONAL", "ACTOR" } },
    ];

    /// <summary>The deployer's view of the store, through this sidecar.</summary>
    public DaprState State(string store = FakeStateStore.Name) =>
        new(Client, Options.Create(new DeployerOptions { Dapr = new DaprRuntimeOptions { StateStore = store } }));

    public static async Task<FakeDaprSidecar> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(port, listen => listen.Protocols = HttpProtocols.Http2));
        var store = new FakeStateStore();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<IServiceMethodProvider<FakeStateStore>, StateApiMethods>();
        var app = builder.Build();
        app.MapGrpcService<FakeStateStore>();
        await app.StartAsync();
        var sidecar = new FakeDaprSidecar(app, store, port);
        store.Metadata = () => new GetMetadataResponse { Id = "deployer", RegisteredComponents = { sidecar.Components } };
        return sidecar;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
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
            where TResponse : class, IMessage<TResponse>, new()
        {
            var requests = new MessageParser<TRequest>(() => new TRequest());
            var responses = new MessageParser<TResponse>(() => new TResponse());
            return new Method<TRequest, TResponse>(
                MethodType.Unary,
                Service,
                name,
                Marshallers.Create(message => message.ToByteArray(), requests.ParseFrom),
                Marshallers.Create(message => message.ToByteArray(), responses.ParseFrom));
        }
    }
}
