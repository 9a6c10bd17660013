using System.Globalization;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.LoadBalancing;

/// <summary>The model a route carries in its metadata, and the variant and weight a destination carries in its.</summary>
internal static class VariantMetadata
{
    public const string Variant = "variant";
    public const string Weight = "weight";
    public const string Model = "model";

    /// <summary>The model a proxied request is for: the one place the middlewares read it from.</summary>
    public static string ModelOf(IReverseProxyFeature proxy) =>
        proxy.Route.Config.Metadata?.GetValueOrDefault(Model) ?? string.Empty;

    public static string VariantOf(DestinationState destination) =>
        destination.Model.Config.Metadata?.GetValueOrDefault(Variant) ?? string.Empty;

    public static int WeightOf(DestinationState destination) =>
        int.TryParse(destination.Model.Config.Metadata?.GetValueOrDefault(Weight), NumberStyles.None, CultureInfo.InvariantCulture, out var weight)
            ? weight
            : 0;
}
