using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;

namespace ModelPlatform.Deployer.Tests.Kubernetes.Fake;

/// <summary>
/// The API server's validation of the objects the deployer writes, as far as the deployer's
/// manifests reach: names, labels, selectors against template labels, containers, quantities,
/// probes, volumes, ports, autoscaler bounds, and the immutable Deployment selector. Each problem
/// is worded as the API words it ("field: Required value", "field: Invalid value: ...").
/// </summary>
public static partial class ManifestRules
{
    public static List<string> Validate(Resource resource, JsonObject manifest, JsonObject? existing)
    {
        var causes = new List<string>();
        var metadata = manifest["metadata"] as JsonObject;
        var name = (string?)metadata?["name"];
        if (string.IsNullOrEmpty(name))
        {
            causes.Add("metadata.name: Required value: name or generateName is required");
        }
        else if (resource == Resource.Services ? !IsDns1035Label(name) : !IsDns1123Subdomain(name))
        {
            causes.Add($"metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 {(resource == Resource.Services ? "label (RFC 1035)" : "subdomain")} must consist of lower case alphanumeric characters or '-'");
        }

        Labels(metadata?["labels"] as JsonObject, "metadata.labels", causes);
        if (resource == Resource.Deployments)
        {
            Deployment(manifest["spec"] as JsonObject, existing?["spec"] as JsonObject, causes);
        }
        else if (resource == Resource.Services)
        {
            Service(manifest["spec"] as JsonObject, causes);
        }
        else if (resource == Resource.Autoscalers)
        {
            Autoscaler(manifest["spec"] as JsonObject, causes);
        }
        else if (resource == Resource.Secrets)
        {
            foreach (var (key, value) in manifest["data"] as JsonObject ?? [])
            {
                if (!SecretKey().IsMatch(key) || value is not JsonValue encoded || !Convert.TryFromBase64String((string)encoded!, new byte[((string)encoded!).Length], out _))
                {
                    causes.Add($"data[{key}]: Invalid value: a valid config key (letters, digits, '-', '_' or '.') with a base64 value");
                }
            }
        }

        return causes;
    }

    public static bool IsDns1123Label(string value) => value.Length <= 63 && Dns1123Label().IsMatch(value);

    public static bool IsDns1035Label(string value) => value.Length <= 63 && Dns1035Label().IsMatch(value);

    public static bool IsDns1123Subdomain(string value) => value.Length <= 253 && Dns1123Subdomain().IsMatch(value);

    private static void Deployment(JsonObject? spec, JsonObject? existing, List<string> causes)
    {
        if (spec is null)
        {
            causes.Add("spec: Required value");
            return;
        }

        if ((int?)spec["replicas"] is < 0)
        {
            causes.Add("spec.replicas: Invalid value: must be greater than or equal to 0");
        }

        var selector = spec["selector"]?["matchLabels"] as JsonObject;
        var templateLabels = spec["template"]?["metadata"]?["labels"] as JsonObject;
        if (selector is null || selector.Count == 0)
        {
            causes.Add("spec.selector: Required value");
        }
        else if (selector.Any(pair => (string?)templateLabels?[pair.Key] != (string?)pair.Value))
        {
            causes.Add($"spec.template.metadata.labels: Invalid value: {templateLabels?.ToJsonString() ?? "null"}: `selector` does not match template `labels`");
        }

        if (existing?["selector"] is { } before && selector is not null && !JsonNode.DeepEquals(before, spec["selector"]))
        {
            causes.Add($"spec.selector: Invalid value: {spec["selector"]!.ToJsonString()}: field is immutable");
        }

        Labels(templateLabels, "spec.template.metadata.labels", causes);
        if (spec["strategy"] is JsonObject { } strategy && (string?)strategy["type"] == "RollingUpdate"
            && IsZero(strategy["rollingUpdate"]?["maxUnavailable"]) && IsZero(strategy["rollingUpdate"]?["maxSurge"]))
        {
            causes.Add("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0");
        }

        if ((int?)spec["progressDeadlineSeconds"] is { } deadline && deadline <= ((int?)spec["minReadySeconds"] ?? 0))
        {
            causes.Add("spec.progressDeadlineSeconds: Invalid value: must be greater than minReadySeconds");
        }

        PodSpec(spec["template"]?["spec"] as JsonObject, "spec.template.spec", causes);
    }

    private static void PodSpec(JsonObject? pod, string path, List<string> causes)
    {
        var containers = pod?["containers"] as JsonArray;
        if (containers is null || containers.Count == 0)
        {
            causes.Add($"{path}.containers: Required value");
            return;
        }

        var volumes = (pod!["volumes"] as JsonArray ?? []).Select(v => (string?)v?["name"]).ToHashSet(StringComparer.Ordinal);
        foreach (var volume in pod["volumes"] as JsonArray ?? [])
        {
            if (volume?["persistentVolumeClaim"] is JsonObject claim && string.IsNullOrEmpty((string?)claim["claimName"]))
            {
                causes.Add($"{path}.volumes[{volume.GetElementIndex()}].persistentVolumeClaim.claimName: Required value");
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i] as JsonObject ?? [];
            var at = $"{path}.containers[{i}]";
            var name = (string?)container["name"];
            if (string.IsNullOrEmpty(name) || !IsDns1123Label(name))
            {
                causes.Add($"{at}.name: Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'");
            }
            else if (!names.Add(name))
            {
                causes.Add($"{at}.name: Duplicate value: \"{name}\"");
            }

            if (string.IsNullOrWhiteSpace((string?)container["image"]))
            {
                causes.Add($"{at}.image: Required value");
            }

            var ports = (container["ports"] as JsonArray ?? []).Select(p => p as JsonObject ?? []).ToList();
            foreach (var port in ports)
            {
                if ((int?)port["containerPort"] is not (>= 1 and <= 65535))
                {
                    causes.Add($"{at}.ports.containerPort: Invalid value: must be between 1 and 65535, inclusive");
                }
            }

            var portNames = ports.Select(p => (string?)p["name"]).Where(n => n is not null).ToHashSet(StringComparer.Ordinal);
            foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
            {
                if (container[probe] is JsonObject { } handler && handler["httpGet"]?["port"] is JsonValue port
                    && port.TryGetValue<string>(out var named) && !portNames.Contains(named))
                {
                    causes.Add($"{at}.{probe}.httpGet.port: Invalid value: \"{named}\": must contain the name of a container port");
                }
            }

            var envNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var env in container["env"] as JsonArray ?? [])
            {
                if ((string?)env?["name"] is not { } envName || !EnvName().IsMatch(envName))
                {
                    causes.Add($"{at}.env.name: Invalid value: \"{(string?)env?["name"]}\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.'");
                }
                else if (!envNames.Add(envName))
                {
                    // What server-side apply answers: env is a list keyed by name.
                    causes.Add($"{at}.env: Duplicate value: map[string]interface {{}}{{\"name\":\"{envName}\"}}");
                }

                if (env?["valueFrom"] is JsonObject from)
                {
                    if (env["value"] is not null)
                    {
                        causes.Add($"{at}.env[{env.GetElementIndex()}].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty");
                    }

                    if (from["secretKeyRef"] is JsonObject secret && (string.IsNullOrEmpty((string?)secret["name"]) || string.IsNullOrEmpty((string?)secret["key"])))
                    {
                        causes.Add($"{at}.env[{env.GetElementIndex()}].valueFrom.secretKeyRef: Required value: name and key");
                    }
                }
            }

            foreach (var mount in container["volumeMounts"] as JsonArray ?? [])
            {
                if (!volumes.Contains((string?)mount?["name"]))
                {
                    causes.Add($"{at}.volumeMounts.name: Not found: \"{(string?)mount?["name"]}\"");
                }
            }

            Resources(container["resources"] as JsonObject, $"{at}.resources", causes);
        }
    }

    private static void Resources(JsonObject? resources, string path, List<string> causes)
    {
        var requests = Quantities(resources?["requests"] as JsonObject, $"{path}.requests", causes);
        var limits = Quantities(resources?["limits"] as JsonObject, $"{path}.limits", causes);
        foreach (var (key, request) in requests)
        {
            if (limits.TryGetValue(key, out var limit) && request > limit)
            {
                causes.Add($"{path}.requests: Invalid value: \"{request}\": must be less than or equal to {key} limit of {limit}");
            }

            if (key.Contains('/', StringComparison.Ordinal) && !key.StartsWith("kubernetes.io/", StringComparison.Ordinal) && limits.TryGetValue(key, out var extended) && extended != request)
            {
                causes.Add($"{path}.requests[{key}]: Invalid value: must be equal to {key} limit");
            }
        }

        foreach (var (key, limit) in limits)
        {
            if (key.Contains('/', StringComparison.Ordinal) && limit != decimal.Truncate(limit))
            {
                causes.Add($"{path}.limits[{key}]: Invalid value: must be an integer");
            }
        }
    }

    private static Dictionary<string, decimal> Quantities(JsonObject? quantities, string path, List<string> causes)
    {
        var parsed = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (key, value) in quantities ?? [])
        {
            try
            {
                parsed[key] = new ResourceQuantity(value?.ToString()).ToDecimal();
            }
#pragma warning disable CA1031 // The quantity parser throws several exception types.
            catch (Exception)
#pragma warning restore CA1031
            {
                causes.Add($"{path}[{key}]: Invalid value: \"{value}\": quantities must match the regular expression");
            }
        }

        return parsed;
    }

    private static void Service(JsonObject? spec, List<string> causes)
    {
        var ports = spec?["ports"] as JsonArray;
        if (ports is null || ports.Count == 0)
        {
            causes.Add("spec.ports: Required value");
            return;
        }

        for (var i = 0; i < ports.Count; i++)
        {
            if ((int?)ports[i]?["port"] is not (>= 1 and <= 65535))
            {
                causes.Add($"spec.ports[{i}].port: Invalid value: must be between 1 and 65535, inclusive");
            }

            if (ports[i]?["targetPort"] is JsonValue target && target.TryGetValue<string>(out var named) && (named.Length > 15 || !ServicePortName().IsMatch(named)))
            {
                causes.Add($"spec.ports[{i}].targetPort: Invalid value: \"{named}\": must be no more than 15 characters, lower case alphanumeric or '-'");
            }
        }

        if ((string?)spec!["type"] is { } type && type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
        {
            causes.Add($"spec.type: Unsupported value: \"{type}\"");
        }
    }

    private static void Autoscaler(JsonObject? spec, List<string> causes)
    {
        if (string.IsNullOrEmpty((string?)spec?["scaleTargetRef"]?["name"]) || string.IsNullOrEmpty((string?)spec?["scaleTargetRef"]?["kind"]))
        {
            causes.Add("spec.scaleTargetRef: Required value");
        }

        var min = (int?)spec?["minReplicas"] ?? 1;
        var max = (int?)spec?["maxReplicas"] ?? 0;
        if (min < 1)
        {
            causes.Add("spec.minReplicas: Invalid value: must be greater than or equal to 1");
        }

        if (max < min)
        {
            causes.Add("spec.maxReplicas: Invalid value: must be greater than or equal to `minReplicas`");
        }
    }

    private static void Labels(JsonObject? labels, string path, List<string> causes)
    {
        foreach (var (key, value) in labels ?? [])
        {
            var slash = key.LastIndexOf('/');
            var prefix = slash < 0 ? null : key[..slash];
            var name = slash < 0 ? key : key[(slash + 1)..];
            if ((prefix is not null && !IsDns1123Subdomain(prefix)) || name.Length is 0 or > 63 || !LabelValue().IsMatch(name))
            {
                causes.Add($"{path}: Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.'");
            }

            var text = value?.ToString() ?? "";
            if (text.Length > 63 || !LabelValue().IsMatch(text))
            {
                causes.Add($"{path}: Invalid value: \"{text}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
            }
        }
    }

    private static bool IsZero(JsonNode? value) => value?.ToString() is "0" or "0%";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex SecretKey();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex ServicePortName();
}
