using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Common;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Routing;

/// <summary>
/// The versioned route table gateways watch: for each deployment, the variants its workflow
/// published with their weights, and the replicas of each that are ready right now. Rebuilt when a
/// workflow publishes and when a replica's readiness changes; the version moves only when the
/// table does, and it survives restarts, so a gateway's <c>after</c> stays meaningful.
/// </summary>
internal sealed partial class RouteTableService : IDisposable
{
    private readonly IDeploymentStore _store;
    private readonly IReplicaProvisioner _provisioner;
    private readonly ILogger<RouteTableService> _logger;
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private RouteTable _current = RouteTable.Empty;
    private int _refreshRequests;
    private readonly ChangeSignal _changed = new();

    public RouteTableService(IDeploymentStore store, IReplicaProvisioner provisioner, ILogger<RouteTableService> logger)
    {
        _store = store;
        _provisioner = provisioner;
        _logger = logger;
        provisioner.ReplicasChanged += _ => RequestRefresh();
    }

    public void Dispose() => _rebuild.Dispose();

    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>Recomputes the table from the store and the replicas; publishes a new version if it changed.</summary>
    public async Task<RouteTable> RefreshAsync(CancellationToken cancellationToken)
    {
        await _rebuild.WaitAsync(cancellationToken);
        try
        {
            var models = new List<ModelRoute>();
            foreach (var stored in await _store.ListAsync(cancellationToken))
            {
                var record = stored.Record;
                if (record.Routes.Count == 0)
                {
                    continue;
                }

                models.Add(new ModelRoute(record.Name, [.. record.Routes.Select(route => Variant(route.Variant, route.Weight, route.ReplicaSet.Id, _provisioner.Observe(route.ReplicaSet.Id)))],
                    record.Access?.ApiKeys, record.Limits, PublishedMirror(record)));
            }

            var current = Current;
            if (current.Version > 0 && SameRoutes(current.Models, models))
            {
                return current;
            }

            var next = new RouteTable(await _store.NextRouteVersionAsync(cancellationToken), models);
            Volatile.Write(ref _current, next);
            _changed.Signal();
            return next;
        }
        finally
        {
            _rebuild.Release();
        }
    }

    /// <summary>Answers as soon as the version differs from <paramref name="after"/>, or with the current table when the wait times out.</summary>
    public async Task<RouteTable> WaitForChangeAsync(long after, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new ChangeDeadline(timeout, cancellationToken);
        while (true)
        {
            var changed = _changed.Changed;
            var current = Current;
            // A caller ahead of us watched a deployer that has since lost its state: answer now.
            if (current.Version != after)
            {
                return current;
            }

            if (!await deadline.WaitAsync(changed))
            {
                return Current;
            }
        }
    }

    /// <summary>
    /// Readiness flips come in bursts (a deploy of many replicas); they share rebuilds: one runs at a
    /// time, and the requests that arrive meanwhile are served by one more rebuild after it.
    /// </summary>
    private void RequestRefresh()
    {
        if (Interlocked.Increment(ref _refreshRequests) == 1)
        {
            _ = Task.Run(RefreshInBackgroundAsync);
        }
    }

    private async Task RefreshInBackgroundAsync()
    {
        int served;
        do
        {
            served = Volatile.Read(ref _refreshRequests);
            await RefreshOnceAsync();
        }
        while (Interlocked.Add(ref _refreshRequests, -served) > 0);
    }

    private async Task RefreshOnceAsync()
    {
        try
        {
            await RefreshAsync(CancellationToken.None);
        }
#pragma warning disable CA1031 // A failed rebuild leaves the last table in place; the next change retries.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRefreshFailed(_logger, ex);
        }
    }

    private static VariantRoute Variant(string name, int weight, string replicaSet, ReplicaSetObservation? observed) =>
        new(name, weight, observed?.ReadyEndpoints ?? [], observed?.ReadyGrpcEndpoints is { Count: > 0 } grpc ? grpc : null, replicaSet);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rebuilding the route table failed; gateways keep the previous version")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    /// <summary>
    /// The mirror share, once the canary it copies to is the one published: a new canary gets no
    /// copies (and a stale one none) until its workflow has routed it.
    /// </summary>
    private static int PublishedMirror(Domain.DeploymentRecord record) =>
        record.Canary is { } canary && record.Routes.Any(route =>
            route.Variant == VariantNames.Canary && route.ReplicaSet.Id == Domain.Specs.ReplicaSetId(record.Name, canary))
            ? record.Mirror
            : 0;

    private static bool SameRoutes(IReadOnlyList<ModelRoute> a, List<ModelRoute> b) =>
        a.Count == b.Count && a.Zip(b).All(pair =>
            pair.First.Name == pair.Second.Name &&
            (pair.First.ApiKeys ?? []).SequenceEqual(pair.Second.ApiKeys ?? []) &&
            pair.First.Limits == pair.Second.Limits &&
            pair.First.Mirror == pair.Second.Mirror &&
            pair.First.Variants.Count == pair.Second.Variants.Count &&
            pair.First.Variants.Zip(pair.Second.Variants).All(v =>
                v.First.Name == v.Second.Name && v.First.Weight == v.Second.Weight && v.First.ReplicaSet == v.Second.ReplicaSet &&
                v.First.Endpoints.SequenceEqual(v.Second.Endpoints) && SameGrpc(v.First.GrpcEndpoints, v.Second.GrpcEndpoints)));

    private static bool SameGrpc(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(pair => b!.TryGetValue(pair.Key, out var other) && other == pair.Value));
}
