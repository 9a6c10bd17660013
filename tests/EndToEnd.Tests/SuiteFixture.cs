using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>The whole suite as real processes: a deployer (with its replicas) and a gateway following it.</summary>
public sealed class SuiteFixture : DeployerHarness, IAsyncLifetime
{
    private ServerProcess? _gateway;

    public HttpClient Gateway { get; private set; } = null!;

    public ServerProcess GatewayProcess => _gateway ?? throw new InvalidOperationException("not started");

    /// <summary>The gateway's gRPC endpoint (cleartext HTTP/2).</summary>
    public Uri GatewayGrpc { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var port = FreePort.Next();
        var grpcPort = FreePort.Next();
        GatewayGrpc = new Uri($"http://127.0.0.1:{grpcPort}");
        _gateway = ServerProcess.Start(RepositoryPaths.ServiceDll("gateway", "ModelPlatform.Gateway"), port, new Dictionary<string, string>
        {
            ["Deployer__Url"] = BaseAddress.ToString(),
            ["Deployer__Token"] = Tokens["gateway"],
            ["Deployer__MaxReconnectDelay"] = "00:00:00.500",
            ["Gateway__ActiveHealthInterval"] = "00:00:00.500",
            ["Gateway__PassiveReactivationPeriod"] = "00:00:05",
            ["Gateway__GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = "Warning",
        }, "--urls", $"http://127.0.0.1:{port}");
        await _gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
        Gateway = new HttpClient { BaseAddress = _gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public override async ValueTask DisposeAsync()
    {
        Gateway?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    /// <summary>Waits until the gateway routes by a table at least as new as the deployer's current one.</summary>
    public async Task WaitForGatewaySyncAsync(CancellationToken cancellationToken)
    {
        var version = (await RoutesAsync(cancellationToken)).Version;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var health = await Gateway.GetFromJsonAsync<JsonObject>("/readyz", cancellationToken);
            var seen = health?["checks"]?["routes"]?["data"]?["routeTableVersion"]?.GetValue<long>() ?? 0;
            if (seen >= version)
            {
                return;
            }

            await Task.Delay(20, cancellationToken);
        }

        throw new TimeoutException($"The gateway did not reach route table {version}.\n{GatewayProcess.Output}");
    }

    /// <summary>Deploys, waits until Ready and until the gateway routes to it.</summary>
    public async Task<Deployment> DeployAsync(string name, object stable, object? canary, int weight, CancellationToken cancellationToken)
    {
        (await Client.PostAsJsonAsync("/v1/deployments",
            new { name, stable, canary, traffic = canary is null ? null : new { canary = weight } }, cancellationToken)).Dispose();
        var ready = await WaitForReadyAsync(name, cancellationToken);
        await WaitForGatewaySyncAsync(cancellationToken);
        return ready;
    }

    public async Task SetWeightAsync(string name, int weight, CancellationToken cancellationToken)
    {
        var before = (await GetAsync(name, cancellationToken))!.Status.Revision;
        (await Client.PutAsJsonAsync($"/v1/deployments/{name}/traffic", new { canary = weight }, cancellationToken)).Dispose();
        await WaitForAsync(name, d => d.Status.ObservedRevision > before, cancellationToken: cancellationToken);
        await WaitForGatewaySyncAsync(cancellationToken);
    }

    public static object AddMulInfer() => new
    {
        inputs = new object[]
        {
            new { name = "a", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 1f, 2f, 3f } },
            new { name = "b", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 4f, 5f, 6f } },
        },
    };

    /// <summary>Infers through the gateway; the status and the variant that served it.</summary>
    public async Task<(int Status, string Variant)> InferAsync(string model, string? pin, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{model}/infer") { Content = JsonContent.Create(AddMulInfer()) };
        if (pin is not null)
        {
            request.Headers.Add("x-model-variant", pin);
        }

        using var response = await Gateway.SendAsync(request, cancellationToken);
        var variant = response.Headers.TryGetValues("x-model-variant", out var values) ? values.Single() : string.Empty;
        return ((int)response.StatusCode, variant);
    }

    /// <summary>Sends requests from <paramref name="workers"/> loops until <paramref name="until"/> completes; counts by outcome.</summary>
    public async Task<LoadOutcome> LoadAsync(string model, int workers, Task until, CancellationToken cancellationToken)
    {
        var outcome = new LoadOutcome();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!until.IsCompleted)
            {
                var (status, variant) = await InferAsync(model, null, cancellationToken);
                outcome.Record(status, variant);
            }
        }, cancellationToken)));
        await until;
        return outcome;
    }
}

/// <summary>What a load run saw.</summary>
public sealed class LoadOutcome
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _byVariant = new();
    private readonly System.Collections.Concurrent.ConcurrentBag<int> _failures = [];
    private int _total;

    public int Total => _total;

    public IReadOnlyCollection<int> Failures => _failures;

    public int Served(string variant) => _byVariant.GetValueOrDefault(variant);

    public void Record(int status, string variant)
    {
        Interlocked.Increment(ref _total);
        if (status != 200)
        {
            _failures.Add(status);
        }
        else
        {
            _byVariant.AddOrUpdate(variant, 1, (_, count) => count + 1);
        }
    }
}
