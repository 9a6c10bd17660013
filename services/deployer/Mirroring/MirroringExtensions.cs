namespace ModelPlatform.Deployer.Mirroring;

/// <summary>Wiring of the shadow comparison port to its embedded adapter.</summary>
internal static class MirroringExtensions
{
    public static IServiceCollection AddOutputComparison(this IServiceCollection services)
    {
        services.AddSingleton<GatewayComparisons>();
        services.AddSingleton<IOutputComparison>(provider => provider.GetRequiredService<GatewayComparisons>());
        return services;
    }
}
