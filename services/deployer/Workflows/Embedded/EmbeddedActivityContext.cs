using Dapr.Workflow;
using Dapr.Workflow.Abstractions;

namespace ModelPlatform.Deployer.Workflows.Embedded;

/// <summary>The activity context the embedded host hands an activity.</summary>
internal sealed class EmbeddedActivityContext(string name, string instanceId, string executionKey) : WorkflowActivityContext
{
    public override TaskIdentifier Identifier { get; } = new(name);

    public override string InstanceId { get; } = instanceId;

    public override string TaskExecutionKey { get; } = executionKey;
}
