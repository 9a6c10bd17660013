using System.Globalization;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Core;
using Empty = Google.Protobuf.WellKnownTypes.Empty;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>
/// The fake sidecar's state store, one per sidecar: keys with a value and a version that is the ETag.
/// Refusals read as daprd words them over gRPC: a plain save's ETag mismatch is Aborted, every failed
/// transaction is Internal ("error while executing state transaction: ..."), with PostgreSQL v2's
/// "no item was updated" for a first-write of a key that exists; an unknown store is InvalidArgument.
/// </summary>
internal sealed class FakeStateStore
{
    public const string Name = "deployer-state";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (ByteString Value, long Version)> _items = new(StringComparer.Ordinal);
    private long _versions;

    /// <summary>Writes refused for a stale or missing ETag, counted so tests can see a race was real.</summary>
    public int Conflicts { get; private set; }

    public int Transactions { get; private set; }

    /// <summary>Transactions asked for, refused ones included.</summary>
    public int TransactionAttempts { get; private set; }

    /// <summary>While set, every call is refused with it: a sidecar or database that is down (Unavailable), say.</summary>
    public Grpc.Core.Status? Outage { get; set; }

    /// <summary>While set, transactions are refused with it after being counted: a write the store refuses for a reason other than a race.</summary>
    public Grpc.Core.Status? TransactionFailure { get; set; }

    /// <summary>What the sidecar's metadata API answers.</summary>
    public Func<GetMetadataResponse> Metadata { get; set; } = () => new GetMetadataResponse();

    /// <summary>Runs before each write is checked: lets a test slip another writer in between a read and a write.</summary>
    public Action<string>? BeforeWrite { get; set; }

    /// <summary>The first time <paramref name="key"/> is about to be written, <paramref name="other"/> runs first and finishes.</summary>
    public void SlipInOnce(string key, Func<Task> other)
    {
        var done = 0;
        BeforeWrite = written =>
        {
            if (written == key && Interlocked.Exchange(ref done, 1) == 0)
            {
                BeforeWrite = null;
                other().GetAwaiter().GetResult();
            }
        };
    }

    public IReadOnlyCollection<string> Keys
    {
        get
        {
            lock (_lock)
            {
                return [.. _items.Keys];
            }
        }
    }

    /// <summary>Another writer's write of <paramref name="key"/>: same value, new ETag.</summary>
    public void Touch(string key)
    {
        lock (_lock)
        {
            if (_items.TryGetValue(key, out var item))
            {
                _items[key] = (item.Value, ++_versions);
            }
        }
    }

    public string? Read(string key)
    {
        lock (_lock)
        {
            return _items.TryGetValue(key, out var item) ? item.Value.ToStringUtf8() : null;
        }
    }

    public GetStateResponse Get(GetStateRequest request)
    {
        CheckStore(request.StoreName);
        lock (_lock)
        {
            return _items.TryGetValue(request.Key, out var item)
                ? new GetStateResponse { Data = item.Value, Etag = ETag(item.Version) }
                : new GetStateResponse();
        }
    }

    public GetBulkStateResponse GetBulk(GetBulkStateRequest request)
    {
        CheckStore(request.StoreName);
        var response = new GetBulkStateResponse();
        lock (_lock)
        {
            foreach (var key in request.Keys)
            {
                response.Items.Add(_items.TryGetValue(key, out var item)
                    ? new BulkStateItem { Key = key, Data = item.Value, Etag = ETag(item.Version) }
                    : new BulkStateItem { Key = key });
            }
        }

        return response;
    }

    public Empty Save(SaveStateRequest request)
    {
        CheckStore(request.StoreName);
        foreach (var state in request.States)
        {
            BeforeWrite?.Invoke(state.Key);
        }

        lock (_lock)
        {
            foreach (var state in request.States)
            {
                Check(state.Key, state.Etag?.Value, state.Options, StatusCode.Aborted);
            }

            foreach (var state in request.States)
            {
                _items[state.Key] = (state.Value, ++_versions);
            }
        }

        return new Empty();
    }

    public Empty Delete(DeleteStateRequest request)
    {
        CheckStore(request.StoreName);
        BeforeWrite?.Invoke(request.Key);
        lock (_lock)
        {
            Check(request.Key, request.Etag?.Value, request.Options, StatusCode.Aborted);
            _items.Remove(request.Key);
        }

        return new Empty();
    }

    public Empty Transact(ExecuteStateTransactionRequest request)
    {
        CheckStore(request.StoreName);
        TransactionAttempts++;
        if (TransactionFailure is { } failure)
        {
            throw new RpcException(failure);
        }

        foreach (var operation in request.Operations)
        {
            BeforeWrite?.Invoke(operation.Request.Key);
        }

        lock (_lock)
        {
            // All checked before any is applied: the transaction is atomic, as a database component's is.
            foreach (var operation in request.Operations)
            {
                if (operation.OperationType is not ("upsert" or "delete"))
                {
                    throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"unsupported operation type {operation.OperationType}"));
                }

                Check(operation.Request.Key, operation.Request.Etag?.Value, operation.Request.Options, StatusCode.Internal, "error while executing state transaction: ");
            }

            Transactions++;
            foreach (var operation in request.Operations)
            {
                if (operation.OperationType == "upsert")
                {
                    _items[operation.Request.Key] = (operation.Request.Value, ++_versions);
                }
                else
                {
                    _items.Remove(operation.Request.Key);
                }
            }
        }

        return new Empty();
    }

    private void Check(string key, string? etag, StateOptions? options, StatusCode refusal, string prefix = "failed saving state in state store deployer-state: ")
    {
        var exists = _items.TryGetValue(key, out var item);
        var firstWrite = options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite;
        if (!string.IsNullOrEmpty(etag))
        {
            if (!exists || ETag(item.Version) != etag)
            {
                Conflicts++;
                throw new RpcException(new Grpc.Core.Status(refusal, $"{prefix}possible etag mismatch. error from state store: key {key}"));
            }
        }
        else if (firstWrite && exists)
        {
            Conflicts++;
            throw new RpcException(new Grpc.Core.Status(refusal, $"{prefix}no item was updated"));
        }
    }

    private void CheckStore(string store)
    {
        if (Outage is { } outage)
        {
            throw new RpcException(outage);
        }

        if (store != Name)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"state store {store} is not found"));
        }
    }

    private static string ETag(long version) => version.ToString(CultureInfo.InvariantCulture);
}
