namespace ModelPlatform.SampleInference.Hosting;

/// <summary>
/// Where the server listens. The contract's <c>PORT</c> (or <c>Inference:Port</c> /
/// <c>Inference:BindAddress</c>) wins over everything, as a container must obey it; failing those,
/// addresses given the usual ASP.NET Core ways (<c>--urls</c>, <c>ASPNETCORE_URLS</c>,
/// <c>ASPNETCORE_HTTP_PORTS</c>, <c>Kestrel:Endpoints</c>) are honoured; with none of them, the
/// server listens on <c>Inference:BindAddress</c>:<c>Inference:Port</c>, loopback port 8080 by default.
/// </summary>
internal static class ListenAddress
{
    private static readonly string[] InferenceKeys = ["Inference:Port", "Inference:BindAddress"];

    // The host's own keys: ASPNETCORE_URLS and --urls both end up as "urls".
    private static readonly string[] HostKeys = ["urls", "http_ports", "https_ports"];

    /// <summary>Whether the server listens where the <c>Inference</c> settings say, rather than where the host was told.</summary>
    public static bool FollowsInferenceSettings(IConfiguration configuration)
    {
        if (InferenceKeys.Any(key => !string.IsNullOrEmpty(configuration[key])))
        {
            return true;
        }

        var hostAddresses = HostKeys.Any(key => !string.IsNullOrEmpty(configuration[key])) ||
            configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        return !hostAddresses;
    }
}
