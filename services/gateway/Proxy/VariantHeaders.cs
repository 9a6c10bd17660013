namespace ModelPlatform.Gateway.Proxy;

/// <summary>The header that pins a request to a variant and says which variant served a response.</summary>
internal static class VariantHeaders
{
    public const string Name = "x-model-variant";
}
