namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// A model whose stable requests are copied to its canary: the share in percent, the canary's
/// replica set (what the comparison is about), and a count of stable's requests that spreads the
/// copies evenly (every request at 100, every other at 50).
/// </summary>
internal sealed class MirrorTarget(string model, int percent, string canary)
{
    private long _served;

    public string Model { get; } = model;

    public int Percent { get; } = percent;

    public string Canary { get; } = canary;

    /// <summary>Counts one request stable served; true when it is one to copy.</summary>
    public bool Take()
    {
        var served = Interlocked.Increment(ref _served);
        // The first request is copied, then each time the share rounded up reaches another whole request.
        return ((served * Percent) + 99) / 100 != (((served - 1) * Percent) + 99) / 100;
    }
}
