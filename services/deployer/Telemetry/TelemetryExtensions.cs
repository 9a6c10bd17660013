using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Telemetry.Embedded;
using ModelPlatform.Deployer.Telemetry.Prometheus;

namespace ModelPlatform.Deployer.Telemetry;

/// <summary>Wiring of the telemetry port to the adapter <c>Deployer:Telemetry:Source</c> names.</summary>
internal static class TelemetryExtensions
{
    public static IServiceCollection AddVariantTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Embedded reports are taken (or refused with 409) whatever the source, so the adapter always exists.
        services.AddSingleton<GatewayReports>();
        var source = configuration.GetValue($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.Source)}", TelemetrySource.Embedded);
        if (source == TelemetrySource.Prometheus)
        {
            services.AddHttpClient<IVariantTelemetry, PrometheusVariantTelemetry>((provider, client) =>
            {
                var url = provider.GetRequiredService<IOptions<TelemetryOptions>>().Value.Prometheus.Url!;
                client.BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/");
            });
        }
        else
        {
            services.AddSingleton<IVariantTelemetry>(provider => provider.GetRequiredService<GatewayReports>());
        }

        return services;
    }
}
