using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Api;
using ModelPlatform.Deployer.Changes;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Mirroring;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Processes;
using ModelPlatform.Deployer.Rollouts;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.Security;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.Status;
using ModelPlatform.Deployer.Telemetry;
using ModelPlatform.Deployer.Validation;
using ModelPlatform.Deployer.Workflows;
using ModelPlatform.ServiceDefaults;
using Scalar.AspNetCore;

namespace ModelPlatform.Deployer.Hosting;

/// <summary>Wiring of the control plane.</summary>
internal static class DeployerExtensions
{
    public static WebApplicationBuilder AddDeployer(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:5100");
        }

        var services = builder.Services;
        services.AddOptions<DeployerOptions>()
            .BindConfiguration(DeployerOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeployerOptions>, DeployerOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddDeployerSecurity();
        services.AddOpenApi(openApi =>
        {
            openApi.AddDocumentTransformer<BearerSecurityTransformer>();
            openApi.AddOperationTransformer<BearerSecurityTransformer>();
            openApi.AddOperationTransformer<DeploymentExamples>();
        });
        services.AddExceptionHandler<StoreFailureExceptionHandler>();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Binding failures go through the exception handler, which says which parameter and why.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });

        // The runtime first: in Dapr mode its hosted check of the state store runs before anything reads it.
        var runtime = RuntimeExtensions.RuntimeOf(builder.Configuration);
        services.AddRuntime(runtime);
        services.AddModelStore(runtime);
        // The launcher also knows where the reference server's bundled models are, which validation needs with any provisioner.
        services.AddSingleton<ReplicaLauncher>();
        services.AddSingleton<HostGpus>();
        builder.AddReplicaProvisioner();

        services.AddSingleton<RouteTableService>();
        services.AddSingleton<DeploymentCoordinator>();
        services.AddSingleton<DeploymentStatusBuilder>();
        services.AddSingleton<DeploymentPhases>();
        services.AddSingleton<DeploymentChanges>();
        services.AddSingleton<ModelRoots>();
        services.AddSingleton(provider => new RegistryAllowList(provider.GetRequiredService<IOptions<DeployerOptions>>().Value.AllowedRegistries));
        services.AddSingleton<DeploymentValidator>();
        services.AddVariantTelemetry(builder.Configuration);
        services.AddOutputComparison();

        // Order matters: the provisioner (registered above) adopts running replicas or reads the cluster,
        // then workflows resume (the embedded host's journal, or Dapr's worker), then the rest is
        // reconciled: in the background, so the server listens meanwhile, and readiness waits for it.
        services.AddWorkflowEngine(runtime);
        services.AddSingleton<StartupReconciler>();
        services.AddHostedService(provider => provider.GetRequiredService<StartupReconciler>());
        services.AddHostedService<DeploymentResync>();
        services.AddRollouts();
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", tags: [ServiceDefaultsExtensions.ReadyTag])
            .AddCheck<StartupReconcileHealthCheck>("startup-reconcile", tags: [ServiceDefaultsExtensions.ReadyTag]);

        return builder;
    }

    public static WebApplication MapDeployerApi(this WebApplication app)
    {
        // Per request rather than on Kestrel's options, which the server reads when the app is built,
        // before options are validated; by the first request they are.
        var options = app.Services.GetRequiredService<IOptions<DeployerOptions>>();
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
            {
                body.MaxRequestBodySize = options.Value.MaxRequestBodySize;
            }

            return next(context);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapOpenApi();
        app.MapScalarApiReference(options => options.WithTitle("Model deployer API"));
        app.MapDeploymentsApi();
        app.MapAuditApi();
        app.MapRoutesApi();
        app.MapTelemetryApi();
        app.MapModelsApi();
        app.MapComparisonApi();
        app.MapRolloutsApi();
        _ = app.Services.GetRequiredService<IOptions<DeployerOptions>>().Value;
        return app;
    }
}
