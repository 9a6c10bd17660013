using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Validation;

namespace ModelPlatform.Deployer.Api;

/// <summary>
/// Request examples for the API page that deploy as they are on this deployer: the walkthrough's
/// bodies (docs/examples), with <c>model.uri</c> set to where this deployer finds the reference
/// server's bundled ResNet18. The schema alone would make the page invent bodies that are refused.
/// </summary>
internal sealed class DeploymentExamples(ModelRoots roots, IOptions<DeployerOptions> options) : IOpenApiOperationTransformer
{
    private const string BundledModel = "resnet18.onnx";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
        var examples = endpoint switch
        {
            "CreateDeployment" => new Dictionary<string, IOpenApiExample>
            {
                ["resnet"] = Example("ResNet18, two replicas", ModelExplained, Deployment(withName: true, withCanary: false)),
            },
            "ReplaceDeployment" => new Dictionary<string, IOpenApiExample>
            {
                ["add-canary"] = Example("Add a canary (it starts with no traffic)", ModelExplained, Deployment(withName: false, withCanary: true)),
            },
            "SetTraffic" => new Dictionary<string, IOpenApiExample>
            {
                ["canary-10"] = Example("Send 10% of requests to the canary", null, new JsonObject { ["canary"] = 10 }),
            },
            "PromoteCanary" => new Dictionary<string, IOpenApiExample>
            {
                ["three-replicas"] = Example("Promote and serve with 3 replicas", "Without a body the promoted canary serves with the stable's replica count.",
                    new JsonObject { ["replicas"] = 3 }),
            },
            _ => null,
        };
        if (examples is not null && operation.RequestBody?.Content?.TryGetValue("application/json", out var json) == true)
        {
            json.Examples = examples;
        }

        return Task.CompletedTask;
    }

    private string ModelExplained => options.Value.Provisioner == ProvisionerKind.Kubernetes
        ? $"model.uri is a file on the model volume as replicas see it (Deployer:Kubernetes:ModelMountPath); put {BundledModel} there, or name your own."
        : $"model.uri is the reference server's bundled ResNet18 on this deployer; for your own model give an absolute path inside Deployer:ModelRoots.";

    private string ModelUri => options.Value.Provisioner == ProvisionerKind.Kubernetes
        ? $"{options.Value.Kubernetes.ModelMountPath.TrimEnd('/')}/{BundledModel}"
        : Path.Combine(roots.BundledFolder, BundledModel);

    private static OpenApiExample Example(string summary, string? description, JsonNode value) =>
        new() { Summary = summary, Description = description, Value = value };

    /// <summary>docs/examples/deploy.json, or with <paramref name="withCanary"/> docs/examples/add-canary.json.</summary>
    private JsonObject Deployment(bool withName, bool withCanary)
    {
        var deployment = new JsonObject();
        if (withName)
        {
            deployment["name"] = "resnet";
        }

        deployment["stable"] = new JsonObject
        {
            ["model"] = Model(),
            ["replicas"] = 2,
            ["resources"] = new JsonObject { ["cpu"] = "1", ["memory"] = "1Gi" },
        };
        if (withCanary)
        {
            deployment["canary"] = new JsonObject
            {
                ["model"] = Model(),
                ["replicas"] = 1,
                ["env"] = new JsonObject { ["RELEASE"] = "candidate" },
            };
        }

        return deployment;
    }

    private JsonObject Model() => new() { ["format"] = "onnx", ["uri"] = ModelUri };
}
