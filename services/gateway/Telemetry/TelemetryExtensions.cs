namespace ModelPlatform.Gateway.Telemetry;

/// <summary>Wiring of the per-variant counts and their reports to the deployer.</summary>
internal static class TelemetryExtensions
{
    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services)
    {
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<VariantCounters>();
        services.AddHostedService<TelemetryReporter>();
        return services;
    }
}
