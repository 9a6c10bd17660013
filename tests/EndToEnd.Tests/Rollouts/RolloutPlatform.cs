using System.Net;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests.Rollouts;

/// <summary>
/// A deployer whose rollouts look at their windows often, with gateways that report often, all real
/// processes; the test models the canaries are made of are generated next to the add-mul model.
/// </summary>
public class RolloutPlatform : DeployerHarness, IAsyncLifetime
{
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private readonly List<ServerProcess> _gateways = [];

    public IReadOnlyList<ServerProcess> Gateways => _gateways;

    /// <summary>A model taking the add-mul requests that refuses (400) the half of them whose <c>a[0][0]</c> is 2.</summary>
    public string RefusingModel { get; private set; } = string.Empty;

    protected virtual int GatewayCount => 1;

    protected override Dictionary<string, string> Settings() => new()
    {
        ["Deployer__Rollouts__CheckInterval"] = "00:00:00.300",
        ["Deployer__Rollouts__SweepInterval"] = "00:00:00.300",
        // These tests judge steps over tens of requests; the p99 gate's own minimum (100 of each
        // variant, tested in StepJudgementTests) would only make them wait longer.
        ["Deployer__Rollouts__LatencyP99MinRequests"] = "1",
        ["Deployer__Telemetry__MinWindow"] = "00:00:01",
    };

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        RefusingModel = CanaryModels.WriteRefusingEvenCorner(ModelsDirectory);
        for (var i = 0; i < GatewayCount; i++)
        {
            await StartGatewayAsync();
        }
    }

    /// <summary>Starts a gateway following the deployer, on <paramref name="port"/> or a free one.</summary>
    public async Task<ServerProcess> StartGatewayAsync(int? port = null, params (string Key, string Value)[] extra)
    {
        port ??= FreePort.Next();
        var environment = new Dictionary<string, string>
        {
            ["Deployer__Url"] = BaseAddress.ToString(),
            ["Deployer__Token"] = Tokens["gateway"],
            ["Deployer__MaxReconnectDelay"] = "00:00:00.500",
            ["Gateway__ActiveHealthInterval"] = "00:00:00.500",
            ["Gateway__PassiveReactivationPeriod"] = "00:00:05",
            ["Gateway__Telemetry__ReportInterval"] = "00:00:00.500",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        var gateway = ServerProcess.Start(RepositoryPaths.ServiceDll("gateway", "ModelPlatform.Gateway"), port.Value, environment, "--urls", $"http://127.0.0.1:{port}");
        _gateways.Add(gateway);
        await gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
        return gateway;
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Creates <paramref name="name"/> with stable, canary and the rollout policy; the rollout starts once the canary is ready.</summary>
    public async Task CreateWithRolloutAsync(string name, object stable, object canary, object rollout, CancellationToken cancellationToken)
    {
        using var created = await Client.PostAsJsonAsync("/v1/deployments", new { name, stable, canary, rollout }, cancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
    }

    /// <summary>Waits until the gateways route to <paramref name="name"/>: a stable request answers through each.</summary>
    public async Task WaitForRoutesAsync(string name, object body, CancellationToken cancellationToken)
    {
        foreach (var gateway in _gateways)
        {
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
            var deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{name}/infer") { Content = JsonContent.Create(body) };
                request.Headers.Add("x-model-variant", VariantNames.Stable);
                using var answer = await http.SendAsync(request, cancellationToken);
                if (answer.IsSuccessStatusCode)
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    var readiness = await http.GetStringAsync("/readyz", cancellationToken);
                    var deployment = await Client.GetStringAsync($"/v1/deployments/{name}", cancellationToken);
                    Assert.Fail($"Gateway {gateway.BaseAddress} does not route to {name}: {answer.StatusCode} {await answer.Content.ReadAsStringAsync(cancellationToken)}\n" +
                        $"{readiness}\n{deployment}\n{gateway.Output}\n{Process.Output}");
                }

                await Task.Delay(100, cancellationToken);
            }
        }
    }

    public Task<Deployment> WaitForRolloutAsync(string name, Func<RolloutStatus, bool> condition, CancellationToken cancellationToken) =>
        WaitForAsync(name, d => d.Status.Rollout is { } rollout && condition(rollout), Patience, cancellationToken);

    public Task<Deployment> WaitForRolloutEndAsync(string name, CancellationToken cancellationToken) =>
        WaitForRolloutAsync(name, rollout => RolloutStates.IsFinal(rollout.State), cancellationToken);

    /// <summary>The deployment's audit entries of <paramref name="action"/>, oldest first.</summary>
    public async Task<List<AuditEntry>> AuditAsync(string name, string action, CancellationToken cancellationToken)
    {
        var page = await Client.GetFromJsonAsync<AuditPage>($"/v1/audit?deployment={name}&action={action}&limit=500", Json, cancellationToken);
        return [.. page!.Items.Reverse()];
    }

    /// <summary>The reasons of the deployment's rollout entries, oldest first.</summary>
    public async Task<List<string>> RolloutReasonsAsync(string name, CancellationToken cancellationToken) =>
        [.. (await AuditAsync(name, AuditActions.Rollout, cancellationToken)).Select(e => e.Outcome.Reason ?? string.Empty)];

    public async Task<DeploymentMetrics> MetricsAsync(string name, string window, CancellationToken cancellationToken) =>
        (await Client.GetFromJsonAsync<DeploymentMetrics>($"/v1/deployments/{name}/metrics?window={window}", Json, cancellationToken))!;

    /// <summary>Sends <paramref name="path"/> with <paramref name="role"/>'s token.</summary>
    public async Task<HttpResponseMessage> SendAsync(string role, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens[role]);
        return await Client.SendAsync(request, cancellationToken);
    }

    /// <summary>The add-mul request with <c>a[0][0]</c> = <paramref name="corner"/>: the refusing canary refuses 2.</summary>
    public static object AddMulRequest(float corner) => new
    {
        inputs = new object[]
        {
            new { name = "a", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { corner, 2f, 3f } },
            new { name = "b", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 4f, 5f, 6f } },
        },
    };

    /// <summary>
    /// The default error gates with latency gates that only a canary many times slower fails: this
    /// two-core machine runs other builds beside the tests, and a fresh replica's first requests can
    /// take a few times as long as a warm one's there, which is the machine's noise, not the canary's.
    /// The latency gates' own test keeps their defaults.
    /// </summary>
    public static readonly object[] ErrorGates =
    [
        new { type = RolloutGateTypes.ServerErrorRatio },
        new { type = RolloutGateTypes.ClientErrorRatio },
        new { type = RolloutGateTypes.LatencyP50Ratio, max = 20.0 },
        new { type = RolloutGateTypes.LatencyP99Ratio, max = 50.0 },
    ];

    /// <summary>The counting models' request.</summary>
    public static object CountingRequest() => new
    {
        inputs = new object[] { new { name = "x", datatype = "FP32", shape = new[] { 1 }, data = new[] { 1f } } },
    };
}

/// <summary>Two gateways in front of the same deployer, each reporting its own counts.</summary>
public sealed class TwoGatewayPlatform : RolloutPlatform
{
    protected override int GatewayCount => 2;
}
