using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using ModelPlatform.Deployer.Workflows.Activities;
using ModelPlatform.Deployer.Workflows.Embedded;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// The workflow and activity classes of the control plane, listed once and handed to either
/// runtime's engine, so the embedded host and Dapr Workflow always run the same set.
/// </summary>
internal static class DeploymentWorkflows
{
    public static void RegisterAll(IWorkflowCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Workflow<ReconcileWorkflow>();
        catalog.Activity<PlanReconcileActivity>();
        catalog.Activity<RecordProgressActivity>();
        catalog.Activity<ProvisionVariantActivity>();
        catalog.Activity<AwaitVariantReadyActivity>();
        catalog.Activity<PublishRoutesActivity>();
        catalog.Activity<RemoveReplicaSetsActivity>();
        catalog.Activity<RecordOutcomeActivity>();
        catalog.Activity<DeleteDeploymentActivity>();
        catalog.Workflow<Rollouts.RolloutWorkflow>();
        catalog.Activity<Rollouts.BeginRolloutStepActivity>();
        catalog.Activity<Rollouts.JudgeRolloutStepActivity>();
        catalog.Activity<Rollouts.EndRolloutActivity>();
    }

    /// <summary>The embedded host's registry of the classes.</summary>
    public static WorkflowRegistry Registry()
    {
        var registry = new WorkflowRegistry();
        RegisterAll(new EmbeddedCatalog(registry));
        return registry;
    }

    /// <summary>Registers the classes with Dapr Workflow's runtime.</summary>
    public static void Register(WorkflowRuntimeOptions options) => RegisterAll(new DaprCatalog(options));

    private sealed class EmbeddedCatalog(WorkflowRegistry registry) : IWorkflowCatalog
    {
        public void Workflow<TWorkflow>()
            where TWorkflow : class, IWorkflow => registry.RegisterWorkflow<TWorkflow>();

        public void Activity<TActivity>()
            where TActivity : class, IWorkflowActivity => registry.RegisterActivity<TActivity>();
    }

    private sealed class DaprCatalog(WorkflowRuntimeOptions options) : IWorkflowCatalog
    {
        public void Workflow<TWorkflow>()
            where TWorkflow : class, IWorkflow => options.RegisterWorkflow<TWorkflow>();

        public void Activity<TActivity>()
            where TActivity : class, IWorkflowActivity => options.RegisterActivity<TActivity>();
    }
}

/// <summary>Something that takes the workflow and activity classes: one engine's registration.</summary>
internal interface IWorkflowCatalog
{
    void Workflow<TWorkflow>()
        where TWorkflow : class, IWorkflow;

    void Activity<TActivity>()
        where TActivity : class, IWorkflowActivity;
}
