namespace ModelPlatform.Deployer.Tests.Kubernetes.Fake;

/// <summary>A kind the fake API serves: where it lives in the URL space and what it is called.</summary>
public sealed record Resource(string Group, string Version, string Plural, string Kind)
{
    public static readonly Resource Deployments = new("apps", "v1", "deployments", "Deployment");
    public static readonly Resource Services = new("", "v1", "services", "Service");
    public static readonly Resource Autoscalers = new("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler");
    public static readonly Resource Pods = new("", "v1", "pods", "Pod");
    public static readonly Resource Secrets = new("", "v1", "secrets", "Secret");

    public static readonly IReadOnlyList<Resource> All = [Deployments, Services, Autoscalers, Pods, Secrets];

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>How the API names the group in messages: "deployments.apps", "services".</summary>
    public string GroupSuffix => Group.Length == 0 ? "" : "." + Group;
}
