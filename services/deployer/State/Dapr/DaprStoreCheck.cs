using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.State.Dapr;

/// <summary>
/// First hosted service of the Dapr runtime: waits for the sidecar, then reads its metadata and
/// refuses to start (<see cref="StoreUnavailableException"/>, exit code 4) unless the configured
/// state store is there, keeps ETags, runs transactions, and is of a type whose transactions are
/// all-or-nothing. Better no deployer than one that keeps changes without their audit entries.
/// </summary>
internal sealed partial class DaprStoreCheck(DaprClient dapr, IOptions<DeployerOptions> options, TimeProvider time, ILogger<DaprStoreCheck> logger)
    : IHostedService
{
    public static readonly IReadOnlyList<string> RequiredCapabilities = ["ETAG", "TRANSACTIONAL"];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value.Dapr;
        var metadata = await WaitForSidecarAsync(settings.SidecarWaitTimeout, cancellationToken);
        var component = metadata.Components.FirstOrDefault(component => component.Name == settings.StateStore)
            ?? throw new StoreUnavailableException(
                $"Deployer:Dapr:StateStore is '{settings.StateStore}', but the Dapr sidecar has no component of that name " +
                $"(it has: {string.Join(", ", metadata.Components.Select(component => $"{component.Name} ({component.Type})").DefaultIfEmpty("none"))}). " +
                "Apply components/deployer-state.yaml, and check that its scopes list the deployer's app id.");

        if (!settings.AtomicStoreTypes.Contains(component.Type, StringComparer.Ordinal))
        {
            throw new StoreUnavailableException(
                $"The state store '{component.Name}' is a {component.Type}, whose transactions are not known to apply whole; " +
                $"the deployer writes a change and its audit entry in one transaction, so it needs one of: {string.Join(", ", settings.AtomicStoreTypes)} " +
                "(Deployer:Dapr:AtomicStoreTypes adds others).");
        }

        var missing = RequiredCapabilities.Except(component.Capabilities ?? [], StringComparer.OrdinalIgnoreCase).ToList();
        if (missing.Count > 0)
        {
            throw new StoreUnavailableException(
                $"The state store '{component.Name}' ({component.Type}) lacks {string.Join(" and ", missing)}, which the deployer needs for concurrency and atomic changes.");
        }

        LogStoreReady(logger, component.Name, component.Type);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<DaprMetadata> WaitForSidecarAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.TicksPerSecond * 2)))
        {
            try
            {
                return await dapr.GetMetadataAsync(cancellationToken);
            }
            catch (DaprException ex) when (time.GetUtcNow() + delay < deadline)
            {
                LogWaiting(logger, ex.InnerException?.Message ?? ex.Message);
            }
            catch (DaprException ex)
            {
                throw new StoreUnavailableException($"The Dapr sidecar did not answer within {timeout.TotalSeconds:0} s (Deployer:Dapr:SidecarWaitTimeout): {ex.InnerException?.Message ?? ex.Message}", ex);
            }

            await Task.Delay(delay, time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the Dapr sidecar: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployments are kept in the Dapr state store {Store} ({Type})")]
    private static partial void LogStoreReady(ILogger logger, string store, string type);
}
