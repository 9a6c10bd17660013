using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Telemetry.Embedded;

/// <summary>A variant's counts as one array: requests, client, server and transport errors, then the latency buckets.</summary>
internal static class CountVector
{
    public const int Requests = 0;
    public const int ClientErrors = 1;
    public const int ServerErrors = 2;
    public const int TransportErrors = 3;
    public const int FirstBucket = 4;

    /// <summary>The latency buckets: one per bound and the overflow.</summary>
    public static int Buckets => GatewayMetricNames.LatencyBucketsSeconds.Count + 1;

    public static int Length => FirstBucket + Buckets;

    public static long[] Of(VariantCounts counts)
    {
        var vector = new long[Length];
        vector[Requests] = counts.Requests;
        vector[ClientErrors] = counts.ClientErrors;
        vector[ServerErrors] = counts.ServerErrors;
        vector[TransportErrors] = counts.TransportErrors;
        for (var i = 0; i < Buckets; i++)
        {
            vector[FirstBucket + i] = counts.LatencyBuckets[i];
        }

        return vector;
    }
}
