using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;

namespace ModelPlatform.SampleInference.Inference;

/// <summary>
/// Admission control for inferences, REST and gRPC alike: at most
/// <see cref="InferenceServerOptions.MaxConcurrentInferences"/> run, at most
/// <see cref="InferenceServerOptions.MaxQueuedInferences"/> wait in arrival order, and the rest are
/// refused at once. A REST request is admitted before its body is read, so waiting requests hold
/// no buffers; health and metadata never pass through here, so probes answer while it is full.
/// </summary>
internal sealed class InferenceAdmission : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;

    public InferenceAdmission(IOptions<InferenceServerOptions> options)
    {
        var value = options.Value;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = value.MaxConcurrentInferences,
            QueueLimit = value.MaxQueuedInferences,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        BusyMessage = $"The server is busy: {value.MaxConcurrentInferences} inference(s) are running and " +
            $"{value.MaxQueuedInferences} waiting, its limits; retry later.";
    }

    /// <summary>What a refused request is told.</summary>
    public string BusyMessage { get; }

    /// <summary>A turn to run, to dispose when the answer is written; null when the server is full.</summary>
    public async ValueTask<IDisposable?> EnterAsync(CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(1, cancellationToken);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        return null;
    }

    public void Dispose() => _limiter.Dispose();
}
