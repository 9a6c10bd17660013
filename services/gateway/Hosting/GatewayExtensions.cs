using Microsoft.Extensions.Options;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.Grpc;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Mirroring;
using ModelPlatform.Gateway.Proxy;
using ModelPlatform.Gateway.Routing;
using ModelPlatform.Gateway.Telemetry;
using ModelPlatform.ServiceDefaults;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace ModelPlatform.Gateway.Hosting;

/// <summary>Wiring of the data plane.</summary>
internal static class GatewayExtensions
{
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        // Every request is measured once, as gateway.request.duration (model, variant, status, outcome).
        // ASP.NET Core's meters (http.server.request.duration, Kestrel's, routing's) and System.Net.Http's
        // would record each one again, each at a cost bench/gateway.sh measures: Gateway:Telemetry:Meters
        // brings any of them back.
        builder.AddServiceDefaults(meters: ExportedMeters.Of(builder.Configuration), httpClientMetrics: false, aspNetCoreMetrics: false);
        builder.AddGatewayListeners();

        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeployerConnectionOptions>().BindConfiguration(DeployerConnectionOptions.Section)
            .PostConfigure(static deployer => deployer.ApplyDefaults()).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>().Configure<IOptions<GatewayOptions>>(
            (kestrel, gateway) =>
            {
                kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxRequestBodyBytes;
                kestrel.Limits.MaxRequestHeadersTotalSize = gateway.Value.MaxRequestHeadersTotalBytes;
                kestrel.Limits.MaxRequestHeaderCount = gateway.Value.MaxRequestHeaderCount;
            });

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<RouteTableState>();
        services.AddSingleton<GatewayMetrics>();
        services.AddGatewayTelemetry();
        services.AddMirroring();
        services.AddSingleton<ModelRateLimiter>();
        services.AddSingleton<GatewayErrors>();
        services.AddSingleton(new InMemoryConfigProvider([], []));
        services.AddSingleton<IProxyConfigProvider>(provider => provider.GetRequiredService<InMemoryConfigProvider>());
        services.AddSingleton<ILoadBalancingPolicy, VariantWeightedPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, FailureCountPassivePolicy>();
        services.AddReverseProxy();
        services.AddSingleton<IProbingRequestFactory, GrpcProbingRequestFactory>();
        services.AddSingleton<ModelExtensions>();
        services.AddHostedService(provider => provider.GetRequiredService<ModelExtensions>());
        services.AddHttpClient(ModelExtensions.ClientName);
        services.AddSingleton<DeployerToken>();
        services.AddTransient<DeployerAuthenticationHandler>();
        services.AddHttpClient(RouteTableWatcher.ClientName, (provider, client) =>
        {
            var deployer = provider.GetRequiredService<IOptions<DeployerConnectionOptions>>().Value;
            client.BaseAddress = new Uri(deployer.Url.EndsWith('/') ? deployer.Url : deployer.Url + "/");
            client.Timeout = deployer.WatchRequestTimeout;
        }).AddHttpMessageHandler<DeployerAuthenticationHandler>();
        services.AddHostedService<RouteTableWatcher>();
        services.AddHealthChecks().AddCheck<RouteTableHealthCheck>("routes", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        // gRPC calls say which model they are for before routing, which matches on it.
        app.UseMiddleware<GrpcModelNameMiddleware>();
        app.UseRouting();
        if (app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.ManagementPort != 0)
        {
            app.UseMiddleware<ManagementPortMiddleware>();
        }

        app.UseStatusCodeBodies();
        app.MapReverseProxy(proxy =>
        {
            // Middleware classes: their services are resolved once, and each step is a plain RequestDelegate.
            proxy.UseMiddleware<ModelAccessMiddleware>();
            proxy.UseMiddleware<ReplicaPathsMiddleware>();
            proxy.UseMiddleware<ModelRateLimitMiddleware>();
            proxy.UseMiddleware<MirrorMiddleware>();
            proxy.UseMiddleware<VariantRoutingMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
            proxy.UseMiddleware<VariantInFlightMiddleware>();
        });
        app.MapServerEndpoints();
        app.MapUnknownModels();
        app.MapGrpcServerEndpoints();
        return app;
    }
}
