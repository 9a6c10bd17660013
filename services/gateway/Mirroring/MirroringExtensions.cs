namespace ModelPlatform.Gateway.Mirroring;

/// <summary>Wiring of shadow traffic: the copy, its queue and senders, the comparison and its reports.</summary>
internal static class MirroringExtensions
{
    public static IServiceCollection AddMirroring(this IServiceCollection services)
    {
        services.AddOptions<MirrorOptions>().BindConfiguration(MirrorOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MirrorRoutes>();
        services.AddSingleton<MirrorStats>();
        services.AddSingleton<MirrorQueue>();
        services.AddHostedService<MirrorSender>();
        services.AddHostedService<ComparisonReporter>();
        return services;
    }
}
