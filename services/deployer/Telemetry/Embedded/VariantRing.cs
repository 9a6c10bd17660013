namespace ModelPlatform.Deployer.Telemetry.Embedded;

/// <summary>
/// One variant's counts per time slot, for the last <c>length</c> slots: a fixed ring, so memory
/// stays bounded however long the deployer runs. A slot is reused when its time comes round again.
/// Each slot holds a <see cref="CountVector"/>. Not thread-safe: <see cref="GatewayReports"/> locks.
/// </summary>
internal sealed class VariantRing(int length)
{
    private readonly long[] _epochs = Enumerable.Repeat(-1L, length).ToArray();
    private readonly long[] _counts = new long[length * CountVector.Length];

    /// <summary>The newest slot written.</summary>
    public long Newest { get; private set; } = -1;

    public void Add(long epoch, ReadOnlySpan<long> delta)
    {
        var index = (int)(epoch % length);
        var slot = _counts.AsSpan(index * CountVector.Length, CountVector.Length);
        if (_epochs[index] != epoch)
        {
            _epochs[index] = epoch;
            slot.Clear();
        }

        for (var i = 0; i < slot.Length; i++)
        {
            slot[i] += delta[i];
        }

        Newest = Math.Max(Newest, epoch);
    }

    /// <summary>Adds the slots from <paramref name="from"/> to <paramref name="to"/> (inclusive) into <paramref name="sum"/>.</summary>
    public void Sum(long from, long to, Span<long> sum)
    {
        for (var epoch = Math.Max(from, to - length + 1); epoch <= to; epoch++)
        {
            var index = (int)(epoch % length);
            if (_epochs[index] != epoch)
            {
                continue;
            }

            var slot = _counts.AsSpan(index * CountVector.Length, CountVector.Length);
            for (var i = 0; i < slot.Length; i++)
            {
                sum[i] += slot[i];
            }
        }
    }
}
