namespace ModelPlatform.Gateway.Proxy;

/// <summary>The header that pins a request to a variant and says which variant served a response.</summary>
internal static class VariantHeaders
{
    public const string Name = "x-model-variant";

    /// <summary>The variant a pin names, in its canonical spelling, or null for a name that is not a variant.</summary>
    public static string? Normalize(string value) =>
        string.Equals(value, Contracts.VariantNames.Stable, StringComparison.OrdinalIgnoreCase) ? Contracts.VariantNames.Stable
        : string.Equals(value, Contracts.VariantNames.Canary, StringComparison.OrdinalIgnoreCase) ? Contracts.VariantNames.Canary
        : null;
}
