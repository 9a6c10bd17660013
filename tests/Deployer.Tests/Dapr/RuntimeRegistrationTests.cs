using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Hosting;
using ModelPlatform.Deployer.Provisioning.Processes;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Dapr;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Workflows;
using ModelPlatform.Deployer.Workflows.Dapr;
using ModelPlatform.Deployer.Workflows.Embedded;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>The deployer's host built (not started) for each runtime: what <c>Deployer:Runtime</c> wires.</summary>
public sealed class RuntimeRegistrationTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("runtime-registration-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Dapr_runtime_resolves_the_dapr_store_and_scheduler_and_dapr_workflow_worker_without_the_embedded_host()
    {
        await using var app = Build(("Deployer:Runtime", "Dapr"), ("Deployer:Dapr:StateStore", "deployments-store"));
        var services = app.Services;

        Assert.IsType<DaprDeploymentStore>(services.GetRequiredService<IDeploymentStore>());
        Assert.IsType<DaprAuditLog>(services.GetRequiredService<IAuditLog>());
        Assert.IsType<DaprWorkflowScheduler>(services.GetRequiredService<IWorkflowScheduler>());
        Assert.Equal("deployments-store", services.GetRequiredService<IOptions<DeployerOptions>>().Value.Dapr.StateStore);
        Assert.Null(services.GetService<EmbeddedWorkflowHost>());
        Assert.Null(services.GetService<IWorkflowJournal>());
        Assert.Null(services.GetService<WorkflowRegistry>());

        var hosted = services.GetServices<IHostedService>().Select(service => service.GetType()).ToList();
        Assert.Contains(hosted, type => type.FullName == "Dapr.Workflow.Worker.WorkflowWorker");
        Assert.DoesNotContain(typeof(EmbeddedWorkflowHost), hosted);
        Assert.True(
            hosted.FindIndex(type => type.FullName == "Dapr.Workflow.Worker.WorkflowWorker") < hosted.IndexOf(typeof(StartupReconciler)),
            "Dapr's workflow worker must start before the startup reconciler schedules workflows");
        Assert.True(
            hosted.IndexOf(typeof(DaprStoreCheck)) is >= 0 and var check && check < hosted.IndexOf(typeof(ProcessProvisioner)),
            "the store check must run before the provisioner and the workflows read the store");
    }

    [Fact]
    public async Task The_production_combination_of_dapr_and_kubernetes_builds_without_sqlite()
    {
        // Built, not started: the Kubernetes client reads its configuration only when first used.
        await using var app = Build(("Deployer:Runtime", "Dapr"), ("Deployer:Provisioner", "Kubernetes"));

        Assert.IsType<DaprAuditLog>(app.Services.GetRequiredService<IAuditLog>());
        Assert.Null(app.Services.GetService<SqliteDatabase>());
        Assert.Contains(typeof(ModelPlatform.Deployer.Provisioning.Kubernetes.KubernetesProvisioner), app.Services.GetServices<IHostedService>().Select(service => service.GetType()));
    }

    [Fact]
    public async Task Embedded_runtime_is_the_default_and_wires_sqlite_and_the_in_process_host()
    {
        await using var app = Build();
        var services = app.Services;

        Assert.IsType<SqliteDeploymentStore>(services.GetRequiredService<IDeploymentStore>());
        Assert.IsType<SqliteAuditLog>(services.GetRequiredService<IAuditLog>());
        Assert.IsType<EmbeddedWorkflowHost>(services.GetRequiredService<IWorkflowScheduler>());
        var hosted = services.GetServices<IHostedService>().Select(service => service.GetType()).ToList();
        Assert.Contains(typeof(EmbeddedWorkflowHost), hosted);
        Assert.DoesNotContain(hosted, type => type.FullName == "Dapr.Workflow.Worker.WorkflowWorker");
    }

    [Fact]
    public void The_embedded_host_registers_every_class_of_the_one_list_both_engines_take()
    {
        var listed = new RecordingCatalog();
        DeploymentWorkflows.RegisterAll(listed);
        var registry = DeploymentWorkflows.Registry();

        Assert.Equal([typeof(ReconcileWorkflow), typeof(ModelPlatform.Deployer.Rollouts.RolloutWorkflow)], listed.Workflows);
        Assert.Equal(11, listed.Activities.Count);
        Assert.All(listed.Workflows, type => Assert.Equal(type, registry.Workflow(type.Name)));
        Assert.All(listed.Activities, type => Assert.Equal(type, registry.Activity(type.Name)));
    }

    [Fact]
    public void An_unknown_runtime_stops_the_start_naming_the_setting()
    {
        var error = Assert.ThrowsAny<Exception>(() => Build(("Deployer:Runtime", "Kubernetes")));
        Assert.Contains("Deployer:Runtime", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_state_store_name_stops_the_start_naming_the_setting()
    {
        await using var app = Build(("Deployer:Runtime", "Dapr"), ("Deployer:Dapr:StateStore", "Not A Name"));

        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<DeployerOptions>>().Value);
        Assert.Contains("Deployer:Dapr: StateStore must be a Dapr component name", error.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingCatalog : IWorkflowCatalog
    {
        public List<Type> Workflows { get; } = [];

        public List<Type> Activities { get; } = [];

        public void Workflow<TWorkflow>()
            where TWorkflow : class, IWorkflow => Workflows.Add(typeof(TWorkflow));

        public void Activity<TActivity>()
            where TActivity : class, IWorkflowActivity => Activities.Add(typeof(TActivity));
    }

    private WebApplication Build(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(
            settings.Select(setting => new KeyValuePair<string, string?>(setting.Key, setting.Value))
                .Append(new("Deployer:DataDirectory", _data)));
        builder.AddDeployer();
        return builder.Build();
    }
}
