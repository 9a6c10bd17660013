using ModelPlatform.Cli.Http;

namespace ModelPlatform.Cli.Waiting;

/// <summary>
/// Ends a wait between two polls as soon as the deployer's route table changes (its long-poll watch,
/// the one gateways follow). A replica that becomes ready, a weight applied or a variant removed
/// reaches the table within milliseconds of the status, so the next poll sees it then instead of up
/// to an interval later, without polling more often (each poll counts against the token's rate
/// limit). Where there is no watch to follow (a request refused or failed), waits are plain delays.
/// </summary>
internal sealed class RouteTableChanges(DeployerClient deployer) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task<long>? _watch;
    private long? _version;
    private bool _unavailable;

    /// <summary>Returns after <paramref name="interval"/>, or earlier when the route table changes.</summary>
    public async Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        var delay = Task.Delay(interval, cancellationToken);
        if (_unavailable)
        {
            await delay;
            return;
        }

        _watch ??= WatchAsync(_stop.Token);
        if (await Task.WhenAny(_watch, delay) != _watch)
        {
            await delay;
            return;
        }

        try
        {
            _version = await _watch;
        }
        catch (Exception ex) when (ex is CliFailure or OperationCanceledException)
        {
            _unavailable = true;
            await delay;
        }
        finally
        {
            _watch = null;
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Dispose()
    {
        _stop.Cancel();
        // A watch still open ends with the cancellation; its failure then is nobody's.
        _watch?.ContinueWith(static watch => _ = watch.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task<long> WatchAsync(CancellationToken cancellationToken)
    {
        var after = _version ?? await deployer.RouteTableVersionAsync(cancellationToken);
        return await deployer.WatchRouteTableAsync(after, cancellationToken);
    }
}
