using System.Buffers;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Mirroring.Comparison;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// Sends the queued copies to the canary's replicas, a bounded number at a time, through the same
/// HTTP client the proxy uses for the model (its connection pools), round-robin over the canary's
/// healthy replicas. The canary's answer is read up to the comparison limit and, for an inference
/// call both answered, compared with stable's. Nothing here is on a caller's path: a canary that
/// fails or hangs costs a sender its timeout, and the queue drops what cannot wait.
/// </summary>
internal sealed partial class MirrorSender(MirrorQueue queue, MirrorStats stats, IOptions<MirrorOptions> options, ILogger<MirrorSender> logger) : BackgroundService
{
    private readonly MirrorOptions _settings = options.Value;
    private int _cursor = -1;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, _settings.Senders).Select(_ => Task.Run(() => SendLoopAsync(stoppingToken), CancellationToken.None)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task SendLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                using (job)
                {
                    await SendAsync(job, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued is not sent.
        }
    }

    /// <summary>Sends one copy and compares the answers; every outcome is counted, none is thrown.</summary>
    internal async Task SendAsync(MirrorJob job, CancellationToken stoppingToken)
    {
        var target = job.Target;
        if (PickCanaryReplica(job.Cluster) is not { } replica)
        {
            stats.CanaryError(target);
            return;
        }

        stats.Mirrored(target);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(_settings.Timeout);
        byte[]? answer = null;
        try
        {
            using var request = BuildRequest(job, replica);
            using var response = await job.Cluster.Model.HttpClient.SendAsync(request, deadline.Token).ConfigureAwait(false);
            if ((int)response.StatusCode != job.Stable.Status)
            {
                stats.CanaryError(target);
                return;
            }

            if (!IsInferenceCall(job) || job.Stable.Status != StatusCodes.Status200OK)
            {
                stats.Uncomparable(target);
                return;
            }

            if (job.Stable.TooLarge || response.Content.Headers.ContentLength > _settings.MaxBodyBytes)
            {
                stats.TooLarge(target);
                return;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            var (buffer, length) = await BoundedRead.ReadAsync(stream, response.Content.Headers.ContentLength, _settings.MaxBodyBytes, deadline.Token).ConfigureAwait(false);
            answer = buffer;
            if (length < 0)
            {
                stats.TooLarge(target);
                return;
            }

            Compare(job, response, answer.AsMemory(0, length));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            stats.CanaryError(target);
            LogCanaryFailed(logger, target.Model, ex.Message);
        }
        finally
        {
            if (answer is { Length: > 0 })
            {
                ArrayPool<byte>.Shared.Return(answer);
            }
        }
    }

    private void Compare(MirrorJob job, HttpResponseMessage response, ReadOnlyMemory<byte> canaryBody)
    {
        var stable = job.Stable;
        var (expected, stableError) = InferenceAnswer.Read(stable.Body.Memory, stable.ContentEncoding, stable.HeaderLength);
        var (actual, canaryError) = InferenceAnswer.Read(
            canaryBody,
            response.Content.Headers.ContentEncoding.Count > 0 ? string.Join(',', response.Content.Headers.ContentEncoding) : null,
            response.Headers.TryGetValues(InferenceHeaders.HeaderLength, out var lengths) ? lengths.FirstOrDefault() : null);
        if (expected is null)
        {
            stats.Uncomparable(job.Target);
            LogUncomparable(logger, job.Target.Model, "stable", stableError!);
            return;
        }

        var result = actual is null
            ? PairComparison.StructureMismatch($"the canary's answer could not be read: {canaryError}")
            : AnswerComparer.Compare(expected, actual, _settings.AbsoluteTolerance, _settings.RelativeTolerance);
        stats.Compared(job.Target, job.RequestId, result);
    }

    private static HttpRequestMessage BuildRequest(MirrorJob job, DestinationState replica)
    {
        var address = replica.Model.Config.Address.TrimEnd('/');
        var request = new HttpRequestMessage(new HttpMethod(job.Method), new Uri(address + job.PathAndQuery))
        {
            Version = System.Net.HttpVersion.Version11,
        };
        if (job.Body.Length > 0 || !HttpMethods.IsGet(job.Method))
        {
            var content = new ReadOnlyMemoryContent(job.Body.Memory);
            foreach (var (name, value) in job.ContentHeaders)
            {
                if (name.Equals(InferenceHeaders.HeaderLength, StringComparison.OrdinalIgnoreCase))
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
                else
                {
                    content.Headers.TryAddWithoutValidation(name, value);
                }
            }

            request.Content = content;
        }

        request.Headers.Add(MirrorHeaders.Mirrored, "true");
        request.Headers.TryAddWithoutValidation(MirrorHeaders.RequestId, job.RequestId);
        return request;
    }

    private static bool IsInferenceCall(MirrorJob job) =>
        HttpMethods.IsPost(job.Method) && job.PathAndQuery.AsSpan().TrimEnd('/') is var path &&
        (path.IndexOf('?') is var query and >= 0 ? path[..query] : path).EndsWith("/infer", StringComparison.OrdinalIgnoreCase);

    /// <summary>The canary's next healthy replica, round-robin; null when it has none.</summary>
    private DestinationState? PickCanaryReplica(ClusterState cluster)
    {
        var available = cluster.DestinationsState.AvailableDestinations;
        var canaries = 0;
        foreach (var destination in available)
        {
            canaries += VariantMetadata.VariantOf(destination) == VariantNames.Canary ? 1 : 0;
        }

        if (canaries == 0)
        {
            return null;
        }

        var target = (int)((uint)Interlocked.Increment(ref _cursor) % (uint)canaries);
        foreach (var destination in available)
        {
            if (VariantMetadata.VariantOf(destination) == VariantNames.Canary && target-- == 0)
            {
                return destination;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A mirrored request to the canary of {Model} failed: {Reason}")]
    private static partial void LogCanaryFailed(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A mirrored pair of {Model} could not be compared: {Side}'s answer: {Reason}")]
    private static partial void LogUncomparable(ILogger logger, string model, string side, string reason);
}
