using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// The copies waiting for a sender: bounded, and a copy that finds it full is dropped at once (never
/// waited for) and counted, so a slow or dead canary costs stable's callers nothing.
/// </summary>
internal sealed class MirrorQueue
{
    private readonly Channel<MirrorJob> _channel;

    public MirrorQueue(IOptions<MirrorOptions> options, MirrorStats stats) =>
        _channel = Channel.CreateBounded<MirrorJob>(
            new BoundedChannelOptions(options.Value.QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite },
            dropped =>
            {
                stats.Dropped(dropped.Target);
                dropped.Dispose();
            });

    /// <summary>Queues <paramref name="job"/>, or drops it (counted and disposed) when the queue is full.</summary>
    public void Enqueue(MirrorJob job)
    {
        if (!_channel.Writer.TryWrite(job))
        {
            // Only after Complete, at shutdown.
            job.Dispose();
        }
    }

    public ChannelReader<MirrorJob> Reader => _channel.Reader;

    /// <summary>No more copies: the senders finish what is queued and stop.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
