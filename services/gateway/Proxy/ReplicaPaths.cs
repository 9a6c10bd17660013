namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// Which paths of a model container the gateway passes on. The public ones are the model's: the Open
/// Inference Protocol's model paths and the container's own REST API. A replica's operational
/// endpoints are not: its health (<c>/healthz</c>, <c>/livez</c>, <c>/readyz</c>, <c>/v2/health/*</c>)
/// describes one replica where a caller would read it as the model's, its <c>/metrics</c> carries
/// every caller's traffic, and the V2 server extensions outside <c>/v2/models</c> (Triton's model
/// repository, logging and trace settings) or a model's <c>trace</c> would let a caller read or
/// change one server's state. A model's own <c>stats</c> are passed on: counts and times of that
/// model's inferences (no inputs, no callers), which Triton's tools read, behind the model's keys. The platform answers for its health itself (the
/// gateway's <c>/v2/health/*</c>, the deployment's status), and an operator reads the replicas'
/// metrics inside the cluster. Segments compare case-insensitively and empty ones are skipped, as
/// the model servers' routers do, so <c>//METRICS/</c> is refused as <c>/metrics</c> is.
/// </summary>
internal static class ReplicaPaths
{
    /// <summary>The prefix of a model's Open Inference Protocol paths, passed on unchanged.</summary>
    public const string V2ModelsPrefix = "/v2/models/";

    /// <summary>The prefix of a model's own paths, stripped (with the name) before they are passed on.</summary>
    public const string ContainerPrefix = "/models/";

    private static readonly string[] OperationalRoots = ["metrics", "healthz", "livez", "readyz"];
    private static readonly string[] OperationalOfModel = ["trace"];

    /// <summary>
    /// Whether <paramref name="path"/>, a request's path on one of <paramref name="model"/>'s routes
    /// (<c>/v2/models/{model}...</c> or <c>/models/{model}...</c>), is one the gateway passes on.
    /// </summary>
    public static bool IsPublic(ReadOnlySpan<char> path, string model)
    {
        // The routes' templates are literals, so the path starts with one of the prefixes and the
        // model's name, in whatever case the caller wrote them.
        if (path.StartsWith(V2ModelsPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return IsPublicOfModel(Skip(path, V2ModelsPrefix.Length + model.Length));
        }

        return IsPublicOfContainer(Skip(path, ContainerPrefix.Length + model.Length));
    }

    /// <summary>Whether a path of the container (what follows <c>/models/{name}</c>) is public.</summary>
    public static bool IsPublicOfContainer(ReadOnlySpan<char> rest)
    {
        var first = NextSegment(ref rest);
        if (first.Equals("v2", StringComparison.OrdinalIgnoreCase))
        {
            // Of the protocol, only the model paths; the server's own (/v2, /v2/health/*, extensions) are not the model's.
            if (!NextSegment(ref rest).Equals("models", StringComparison.OrdinalIgnoreCase) || NextSegment(ref rest).IsEmpty)
            {
                return false;
            }

            return IsPublicOfModel(rest);
        }

        return !IsOneOf(first, OperationalRoots);
    }

    /// <summary>Whether a path of the protocol's model (what follows <c>/v2/models/{name}</c>) is public.</summary>
    public static bool IsPublicOfModel(ReadOnlySpan<char> rest)
    {
        var first = NextSegment(ref rest);
        if (first.Equals("versions", StringComparison.OrdinalIgnoreCase))
        {
            NextSegment(ref rest);
            first = NextSegment(ref rest);
        }

        return !IsOneOf(first, OperationalOfModel);
    }

    private static ReadOnlySpan<char> Skip(ReadOnlySpan<char> path, int length) => path[Math.Min(length, path.Length)..];

    /// <summary>The next segment of <paramref name="path"/>, skipping empty ones; <paramref name="path"/> moves past it.</summary>
    private static ReadOnlySpan<char> NextSegment(ref ReadOnlySpan<char> path)
    {
        path = path.TrimStart('/');
        var end = path.IndexOf('/');
        var segment = end < 0 ? path : path[..end];
        path = end < 0 ? [] : path[end..];
        return segment;
    }

    private static bool IsOneOf(ReadOnlySpan<char> segment, string[] names)
    {
        foreach (var name in names)
        {
            if (segment.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
