using Dapr.Workflow;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Dapr;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Workflows;
using ModelPlatform.Deployer.Workflows.Dapr;
using ModelPlatform.Deployer.Workflows.Embedded;

namespace ModelPlatform.Deployer.Hosting;

/// <summary>
/// The two runtimes' adapters for the store, audit and workflow ports; the choice is
/// <c>Deployer:Runtime</c>. The store's check runs first among the hosted services, the workflow
/// engine after the provisioner (see <see cref="DeployerExtensions"/>).
/// </summary>
internal static class RuntimeExtensions
{
    public static RuntimeKind RuntimeOf(IConfiguration configuration) =>
        configuration.GetSection(DeployerOptions.Section).GetValue(nameof(DeployerOptions.Runtime), RuntimeKind.Embedded);

    public static IServiceCollection AddRuntime(this IServiceCollection services, RuntimeKind runtime) => runtime switch
    {
        RuntimeKind.Dapr => services.AddDaprRuntime(),
        _ => services.AddEmbeddedRuntime(),
    };

    /// <summary>The engine that runs the workflow classes, registered among the hosted services in start order.</summary>
    public static IServiceCollection AddWorkflowEngine(this IServiceCollection services, RuntimeKind runtime)
    {
        if (runtime == RuntimeKind.Dapr)
        {
            services.AddDaprWorkflow(DeploymentWorkflows.Register);
        }
        else
        {
            services.AddHostedService(provider => provider.GetRequiredService<EmbeddedWorkflowHost>());
        }

        return services;
    }

    /// <summary>SQLite store, audit trail and journal, and the in-process host running the workflow classes.</summary>
    private static IServiceCollection AddEmbeddedRuntime(this IServiceCollection services)
    {
        services.TryAddSingleton<SqliteDatabase>();
        services.AddSingleton<IDeploymentStore, SqliteDeploymentStore>();
        services.AddSingleton<IAuditLog, SqliteAuditLog>();
        services.AddSingleton<IWorkflowJournal, SqliteWorkflowJournal>();
        services.AddSingleton<IInstallationIdentity, SqliteInstallationIdentity>();
        services.AddSingleton(DeploymentWorkflows.Registry());
        services.AddSingleton<EmbeddedWorkflowHost>();
        services.AddSingleton<IWorkflowScheduler>(provider => provider.GetRequiredService<EmbeddedWorkflowHost>());
        return services;
    }

    /// <summary>
    /// The sidecar's state store and Dapr Workflow. The sidecar's address comes from Dapr's own
    /// variables (<c>DAPR_GRPC_ENDPOINT</c> or <c>DAPR_GRPC_PORT</c>, <c>DAPR_API_TOKEN</c>), which the
    /// sidecar injector sets on Kubernetes.
    /// </summary>
    private static IServiceCollection AddDaprRuntime(this IServiceCollection services)
    {
        services.AddDaprClient();
        services.AddSingleton<DaprState>();
        services.AddSingleton<DaprDeploymentStore>();
        services.AddSingleton<IDeploymentStore>(provider => provider.GetRequiredService<DaprDeploymentStore>());
        services.AddSingleton<IAuditLog, DaprAuditLog>();
        services.AddSingleton<IInstallationIdentity, DaprInstallationIdentity>();
        services.AddSingleton<IWorkflowScheduler, DaprWorkflowScheduler>();
        services.AddHostedService<DaprStoreCheck>();
        return services;
    }
}
