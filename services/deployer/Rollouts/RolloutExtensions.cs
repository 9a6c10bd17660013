using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Rollouts.Gates;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>Wiring of rollouts: the gates, the judge, the workflow's helpers and the sweep.</summary>
internal static class RolloutExtensions
{
    public static IServiceCollection AddRollouts(this IServiceCollection services)
    {
        services.AddOptions<RolloutOptions>().BindConfiguration(RolloutOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // One registration per gate type; the disagreement gate reads another port (mirrored traffic's comparison).
        services.AddSingleton<IRolloutGate, ServerErrorRatioGate>();
        services.AddSingleton<IRolloutGate, ClientErrorRatioGate>();
        services.AddSingleton<IRolloutGate>(LatencyRatioGate.P50());
        services.AddSingleton<IRolloutGate>(provider => LatencyRatioGate.P99(provider.GetRequiredService<IOptions<RolloutOptions>>().Value.LatencyP99MinRequests));
        services.AddSingleton<IRolloutGate, DisagreementGate>();

        services.AddSingleton<RolloutJudge>();
        services.AddSingleton<RolloutRecorder>();
        services.AddSingleton<RolloutLauncher>();
        services.AddSingleton<RolloutControl>();
        services.AddHostedService<RolloutSupervisor>();
        return services;
    }
}
