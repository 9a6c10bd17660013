using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// An in-memory copy of one kind of object, kept current by the API's watch: list, then watch from
/// the list's resourceVersion; a watch that ends is resumed from the last version seen; one the
/// server no longer can resume (410 Gone) or any error leads to a fresh list after a backoff. Only
/// a first list that is refused outright (401, 403, 404: credentials, RBAC, an API not served) ends
/// it, failing <see cref="Synced"/>: retrying cannot help, and the deployer must not run blind.
/// </summary>
/// <param name="kind">The kind, for log messages.</param>
/// <param name="list">Lists every object of interest.</param>
/// <param name="watch">Watches from a resourceVersion, reporting the API's error events to its callback.</param>
/// <param name="backoff">The first delay after a failure; it doubles up to <paramref name="maxBackoff"/>.</param>
/// <param name="maxBackoff">The longest delay between attempts.</param>
/// <param name="logger">Where failures are reported.</param>
internal sealed partial class ResourceWatch<T, TList>(
    string kind,
    Func<CancellationToken, Task<TList>> list,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
    TimeSpan backoff,
    TimeSpan maxBackoff,
    ILogger logger)
    where T : IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<T>
{
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Raised after an object was added, changed or removed, with the object.</summary>
    public event Action<T>? Changed;

    /// <summary>Completes after the first successful list; fails with the API's refusal if the first list is refused.</summary>
    public Task Synced => _synced.Task;

    /// <summary>The last failure to list or watch, for saying why a first list is taking long.</summary>
    public Exception? LastError { get; private set; }

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_items)
            {
                return [.. _items.Values];
            }
        }
    }

    public T? Get(string name)
    {
        lock (_items)
        {
            return _items.GetValueOrDefault(name);
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = backoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var version = await ListAsync(cancellationToken);
                delay = backoff;
                while (version is not null)
                {
                    version = await WatchAsync(version, cancellationToken);
                }

                LogResync(logger, kind);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException ex) when (!_synced.Task.IsCompleted && IsRefusal(ex))
            {
                LastError = ex;
                _synced.TrySetException(ex);
                return;
            }
#pragma warning disable CA1031 // Whatever the API or the network does, the view must recover, not die.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LastError = ex;
                LogWatchFailed(logger, ex, kind, delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxBackoff.Ticks));
            }
        }
    }

    /// <summary>Replaces the view with a fresh list; answers the list's resourceVersion.</summary>
    private async Task<string> ListAsync(CancellationToken cancellationToken)
    {
        var listed = await list(cancellationToken);
        var gone = new List<T>();
        lock (_items)
        {
            var names = listed.Items.Select(item => item.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in _items.Keys.Where(name => !names.Contains(name)).ToList())
            {
                gone.Add(_items[name]);
                _items.Remove(name);
            }

            foreach (var item in listed.Items)
            {
                _items[item.Metadata.Name] = item;
            }
        }

        _synced.TrySetResult();
        foreach (var item in gone.Concat(listed.Items))
        {
            Changed?.Invoke(item);
        }

        return listed.Metadata.ResourceVersion;
    }

    /// <summary>Applies events until the watch ends; answers the version to resume from, or null when a re-list is needed.</summary>
    private async Task<string?> WatchAsync(string version, CancellationToken cancellationToken)
    {
        var expired = false;
        var events = 0;
        Exception? failure = null;
        await foreach (var (type, item) in watch(version, error =>
        {
            if (error is KubernetesException { Status.Code: (int)HttpStatusCode.Gone })
            {
                expired = true;
            }
            else
            {
                failure = error;
            }
        }, cancellationToken))
        {
            events++;
            if (type != WatchEventType.Bookmark)
            {
                Apply(type, item);
            }

            version = item.Metadata.ResourceVersion ?? version;
        }

        if (failure is not null)
        {
            throw new IOException($"The {kind} watch failed: {failure.Message}", failure);
        }

        if (events == 0 && !expired)
        {
            // A watch that ends at once, again and again, must not become a busy loop.
            await Task.Delay(backoff, cancellationToken);
        }

        return expired ? null : version;
    }

    private static bool IsRefusal(HttpOperationException exception) =>
        exception.Response?.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound;

    private void Apply(WatchEventType type, T item)
    {
        lock (_items)
        {
            if (type == WatchEventType.Deleted)
            {
                _items.Remove(item.Metadata.Name);
            }
            else
            {
                _items[item.Metadata.Name] = item;
            }
        }

        Changed?.Invoke(item);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Kind} watch expired; listing again")]
    private static partial void LogResync(ILogger logger, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching {Kind} failed; trying again in {DelayMs} ms")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception, string kind, double delayMs);
}
