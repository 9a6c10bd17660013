using Dapr.Workflow;
using Dapr.Workflow.Abstractions;

namespace ModelPlatform.Deployer.Workflows.Embedded;

/// <summary>The workflow and activity classes the embedded host can run, by name (the class name, as Dapr names them).</summary>
internal sealed class WorkflowRegistry
{
    private readonly Dictionary<string, Type> _workflows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Type> _activities = new(StringComparer.Ordinal);

    public WorkflowRegistry RegisterWorkflow<TWorkflow>()
        where TWorkflow : class, IWorkflow
    {
        _workflows[typeof(TWorkflow).Name] = typeof(TWorkflow);
        return this;
    }

    public WorkflowRegistry RegisterActivity<TActivity>()
        where TActivity : class, IWorkflowActivity
    {
        _activities[typeof(TActivity).Name] = typeof(TActivity);
        return this;
    }

    public Type Workflow(string name) =>
        _workflows.TryGetValue(name, out var type) ? type : throw new InvalidOperationException($"No workflow named '{name}' is registered.");

    public Type Activity(string name) =>
        _activities.TryGetValue(name, out var type) ? type : throw new InvalidOperationException($"No activity named '{name}' is registered.");
}
