namespace ModelPlatform.Gateway.Mirroring;

/// <summary>What marks a copy, so a model's logs and metrics can tell shadow traffic from callers'.</summary>
internal static class MirrorHeaders
{
    /// <summary>Set to <c>true</c> on every copy sent to a canary.</summary>
    public const string Mirrored = "x-mirrored";

    /// <summary>The caller's request id (or the gateway's trace id for it): the copy carries it, and the comparison names pairs by it.</summary>
    public const string RequestId = "x-request-id";
}
