namespace ModelPlatform.SampleInference.Configuration;

/// <summary>
/// Maps the container contract's plain environment variables onto the <c>Inference</c> section,
/// with precedence over every other source because the contract says a container obeys them.
/// </summary>
internal static class ContractEnvironment
{
    private static readonly (string Variable, string Key)[] Mappings =
    [
        ("PORT", nameof(InferenceServerOptions.Port)),
        ("GRPC_PORT", nameof(InferenceServerOptions.GrpcPort)),
        ("MODEL_NAME", nameof(InferenceServerOptions.ModelName)),
        ("MODEL_URI", nameof(InferenceServerOptions.ModelUri)),
        ("MODEL_SHA256", nameof(InferenceServerOptions.ModelSha256)),
        ("MODEL_TOKEN", nameof(InferenceServerOptions.ModelToken)),
    ];

    public static IEnumerable<KeyValuePair<string, string?>> Read(Func<string, string?> getVariable)
    {
        foreach (var (variable, key) in Mappings)
        {
            var value = getVariable(variable);
            if (!string.IsNullOrEmpty(value))
            {
                yield return new($"{InferenceServerOptions.Section}:{key}", value);
            }
        }
    }
}
