using System.Text.RegularExpressions;
using k8s.Models;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning.Processes;

namespace ModelPlatform.Deployer.Validation;

/// <summary>
/// Checks a deployment request field by field and names every problem, keyed by the field's JSON
/// path (<c>stable.resources.cpu</c>), so the answer is RFC 9457 problem details a client can show.
/// </summary>
internal sealed partial class DeploymentValidator(IOptions<DeployerOptions> options, ModelRoots roots, RegistryAllowList registries, HostGpus gpus)
{
    /// <summary>63 (a DNS label, the limit of a Kubernetes object name) less the 11 characters of a replica set's "-{hash}".</summary>
    public const int MaxNameLength = 52;

    private const int MaxEnvVariables = 128;
    private const int MaxEnvNameLength = 256;

    private static readonly HashSet<string> ReservedEnv = new(StringComparer.Ordinal) { "PORT", "GRPC_PORT", "MODEL_NAME", "MODEL_URI", "MODEL_SHA256", "MODEL_TOKEN" };

    public Dictionary<string, string[]> Validate(DeploymentRequest request, string? nameInPath)
    {
        var errors = new Errors();
        var name = request.Name ?? nameInPath;
        if (nameInPath is not null && request.Name is not null && request.Name != nameInPath)
        {
            errors.Add("name", $"must match the name in the path ('{nameInPath}') or be left out.");
        }
        else if (string.IsNullOrEmpty(name))
        {
            errors.Add("name", "is required.");
        }
        else
        {
            ValidateName(name, errors);
        }

        if (request.Stable is null)
        {
            errors.Add("stable", "is required.");
        }
        else
        {
            ValidateVariant(request.Stable, "stable", errors);
        }

        if (request.Canary is not null)
        {
            ValidateVariant(request.Canary, "canary", errors);
            if (request.Stable is not null && Specs.ReplicaSetId("x", request.Stable) == Specs.ReplicaSetId("x", request.Canary))
            {
                errors.Add("canary", "runs the same thing as stable (only the replica count may differ); a canary must differ from what it is compared with.");
            }
        }

        if (request.Traffic is { } traffic)
        {
            ValidateTraffic(traffic, request.Canary is not null, errors);
        }

        foreach (var (field, message) in GatewayPolicyValidator.Validate(request.Access, request.Limits).Concat(RolloutValidator.Validate(request.Rollout)))
        {
            errors.Add(field, message);
        }

        return errors.ToDictionary();
    }

    public static Dictionary<string, string[]> ValidateTraffic(TrafficRequest traffic, bool hasCanary)
    {
        var errors = new Errors();
        ValidateTraffic(traffic, hasCanary, errors);
        return errors.ToDictionary();
    }

    /// <summary>A promote's optional body: a replica count the promoted canary may serve with.</summary>
    public Dictionary<string, string[]> ValidatePromotion(PromoteRequest? request, VariantSpec canary)
    {
        ArgumentNullException.ThrowIfNull(canary);
        var errors = new Errors();
        var max = options.Value.MaxReplicas;
        if (request?.Replicas is not { } replicas)
        {
            return errors.ToDictionary();
        }

        if (replicas < 0 || replicas > max)
        {
            errors.Add("replicas", $"must be between 0 and {max}.");
        }
        else if (canary is { MinReplicas: { } min, MaxReplicas: { } most } && (replicas < min || replicas > most))
        {
            errors.Add("replicas", $"is the count the canary's autoscaler starts from and must lie between its minReplicas ({min}) and maxReplicas ({most}).");
        }

        return errors.ToDictionary();
    }

    private static void ValidateTraffic(TrafficRequest traffic, bool hasCanary, Errors errors)
    {
        if (traffic.Canary is < 0 or > 100)
        {
            errors.Add("traffic.canary", "must be between 0 and 100.");
        }
        else if (traffic.Canary > 0 && !hasCanary)
        {
            errors.Add("traffic.canary", "can only be above 0 when the deployment has a canary.");
        }

        if (traffic.Mirror is < 0 or > 100)
        {
            errors.Add("traffic.mirror", "must be between 0 and 100.");
        }
        else if (traffic.Mirror > 0 && !hasCanary)
        {
            errors.Add("traffic.mirror", "can only be above 0 when the deployment has a canary to copy requests to.");
        }
    }

    private static void ValidateName(string name, Errors errors)
    {
        if (name.Length > MaxNameLength)
        {
            errors.Add("name", $"must be at most {MaxNameLength} characters, so that every object named after it stays a valid DNS label.");
        }

        if (!Dns1035Label().IsMatch(name))
        {
            errors.Add("name", "must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit.");
        }
    }

    private void ValidateVariant(VariantSpec variant, string path, Errors errors)
    {
        var settings = options.Value;
        switch (variant)
        {
            case { Model: null, Image: null }:
                errors.Add(path, "needs either 'model' or 'image'.");
                break;
            case { Model: not null, Image: not null }:
                errors.Add(path, "has both 'model' and 'image'; give one.");
                break;
            case { Model: { } model }:
                ValidateModel(model, $"{path}.model", errors);
                break;
            case { Image: { } image }:
                // The allow-list before the runtime's own refusal: an image from a registry that is not
                // allowed gets that answer on every runtime, and only an allowed one hears that the
                // embedded runtime cannot run images.
                if (!OciReference.TryParse(image, out var name))
                {
                    errors.Add($"{path}.image", $"'{image}' is not a valid OCI image reference (name[:tag][@digest]).");
                }
                else if (!registries.Allows(name))
                {
                    errors.Add($"{path}.image",
                        $"'{image}' is {name.Registry}/{name.Repository}, which is not from an allowed registry (Deployer:AllowedRegistries: {string.Join(", ", registries.Entries)}).");
                }
                else if (settings.Provisioner == ProvisionerKind.Processes)
                {
                    errors.Add($"{path}.image",
                        "image variants need a container runtime; the embedded runtime runs model variants ({\"model\": {\"format\": \"onnx\", \"uri\": ...}}) only. Use the Kubernetes provisioner for images.");
                }

                break;
        }

        if (variant.Replicas < 0 || variant.Replicas > settings.MaxReplicas)
        {
            errors.Add($"{path}.replicas", $"must be between 0 and {settings.MaxReplicas}.");
        }

        ValidateAutoscaling(variant, path, errors);
        ValidateGrpcPort(variant, path, errors);

        if (variant.Resources is { } resources)
        {
            ValidateQuantity(resources.Cpu, $"{path}.resources.cpu", errors);
            ValidateQuantity(resources.Memory, $"{path}.resources.memory", errors);
            if (resources.Gpu < 0 || resources.Gpu > settings.MaxGpus)
            {
                errors.Add($"{path}.resources.gpu", $"must be between 0 and {settings.MaxGpus}.");
            }
            else if (resources.Gpu > 0 && settings.Provisioner == ProvisionerKind.Processes && !gpus.Available)
            {
                errors.Add($"{path}.resources.gpu",
                    $"asks for {resources.Gpu} GPU, but this machine has no NVIDIA GPU a replica could use (none of {string.Join(", ", gpus.Devices)} exists), and the embedded runtime runs replicas here. Leave gpu out to run on the CPU, or deploy where there is one.");
            }
        }

        // Bounded because a replica's whole environment goes through execve, which refuses any one
        // string over 128 KiB and a block over the system's argument limit.
        if (variant.Env?.Count > MaxEnvVariables)
        {
            errors.Add($"{path}.env", $"has {variant.Env.Count} variables; at most {MaxEnvVariables} are allowed.");
        }

        foreach (var (key, value) in variant.Env ?? new Dictionary<string, string>())
        {
            if (key.Length > MaxEnvNameLength)
            {
                errors.Add($"{path}.env", $"has a variable name of {key.Length} characters; at most {MaxEnvNameLength} are allowed.");
            }
            else if (!EnvName().IsMatch(key))
            {
                errors.Add($"{path}.env.{key}", "is not a valid environment variable name (letters, digits and '_', not starting with a digit).");
            }
            else if (ReservedEnv.Contains(key))
            {
                errors.Add($"{path}.env.{key}", "is set by the platform (the inference contract's PORT, GRPC_PORT, MODEL_NAME and MODEL_URI, and MODEL_SHA256 and MODEL_TOKEN for a stored model).");
            }
            else if (settings.Provisioner == ProvisionerKind.Processes && HostProcessVariables.WhyRefused(key) is { } reason)
            {
                // A container is isolated from the deployer; a local process runs as its user, on its network.
                errors.Add($"{path}.env.{key}",
                    $"{reason}; the embedded runtime runs replicas as the deployer's own user on its host, so env may not change what code they load or where they listen (the Kubernetes provisioner allows it: a container is isolated).");
            }

            if (value is null || value.Length > 32 * 1024)
            {
                errors.Add($"{path}.env.{key}", "must be a string of at most 32 KiB.");
            }
        }
    }

    private void ValidateGrpcPort(VariantSpec variant, string path, Errors errors)
    {
        if (variant.GrpcPort is not { } port)
        {
            return;
        }

        var http = options.Value.Kubernetes.ContainerPort;
        if (variant.Model is not null)
        {
            errors.Add($"{path}.grpcPort", "is for an 'image' only: the reference runtime always serves gRPC, on a port the platform chooses.");
        }
        else if (port is < 1 or > 65535)
        {
            errors.Add($"{path}.grpcPort", "must be a port between 1 and 65535.");
        }
        else if (port == http)
        {
            errors.Add($"{path}.grpcPort", $"is the container's HTTP port (PORT, {http}); gRPC needs a port of its own (cleartext HTTP/2 cannot share it).");
        }
    }

    private void ValidateAutoscaling(VariantSpec variant, string path, Errors errors)
    {
        if (variant is { MinReplicas: null, MaxReplicas: null })
        {
            return;
        }

        var settings = options.Value;
        if (settings.Provisioner == ProvisionerKind.Processes)
        {
            errors.Add(variant.MinReplicas is null ? $"{path}.maxReplicas" : $"{path}.minReplicas",
                "autoscaling needs the Kubernetes provisioner (a HorizontalPodAutoscaler); the embedded runtime runs a fixed 'replicas' count.");
            return;
        }

        if (variant is not { MinReplicas: { } min, MaxReplicas: { } max })
        {
            errors.Add(variant.MinReplicas is null ? $"{path}.minReplicas" : $"{path}.maxReplicas", "is required with the other: autoscaling needs both bounds.");
            return;
        }

        if (min < 1)
        {
            errors.Add($"{path}.minReplicas", "must be at least 1.");
        }

        if (max < min)
        {
            errors.Add($"{path}.maxReplicas", $"must be at least minReplicas ({min}).");
        }
        else if (max > settings.MaxReplicas)
        {
            errors.Add($"{path}.maxReplicas", $"must be at most {settings.MaxReplicas} (Deployer:MaxReplicas).");
        }

        if (variant.Replicas < min || variant.Replicas > max)
        {
            errors.Add($"{path}.replicas", $"is the count to start with and must lie between minReplicas ({min}) and maxReplicas ({max}).");
        }

        if (variant.Resources?.Cpu is null)
        {
            errors.Add($"{path}.resources.cpu", "is required with autoscaling: the autoscaler aims at a share of the CPU request.");
        }
    }

    private void ValidateModel(ModelSource model, string path, Errors errors)
    {
        if (!string.Equals(model.Format, "onnx", StringComparison.Ordinal))
        {
            errors.Add($"{path}.format", "must be 'onnx', the format the reference runtime serves.");
        }

        if (string.IsNullOrWhiteSpace(model.Uri))
        {
            errors.Add($"{path}.uri", "is required.");
            return;
        }

        if (StoredModelUri.IsStoreUri(model.Uri))
        {
            // The model store's own URIs: resolved, pinned and checked by Models.ModelPinning; here only
            // whether this deployer's replicas can get the file.
            if (Provisioning.Kubernetes.StoredModelSource.WhyUnavailable(options.Value) is { } unavailable)
            {
                errors.Add($"{path}.uri", unavailable);
            }

            return;
        }

        var schemes = options.Value.ModelUriSchemes is { Count: > 0 } configured ? configured : [ModelUri.FileScheme];
        if (ModelUri.SchemeOf(model.Uri) is { } scheme && !schemes.Contains(scheme, StringComparer.Ordinal))
        {
            errors.Add($"{path}.uri", $"scheme '{scheme}' is not allowed (Deployer:ModelUriSchemes: {string.Join(", ", schemes)}).");
        }
        else if (!ModelUri.TryGetLocalPath(model.Uri, requireAbsolute: true, out var file, out var error))
        {
            errors.Add($"{path}.uri", error!);
        }
        else if (options.Value.Provisioner == ProvisionerKind.Kubernetes)
        {
            ValidateClusterModel(file, path, errors);
        }
        else if (!roots.Contains(file))
        {
            errors.Add($"{path}.uri", $"'{file}' is outside the model roots ({string.Join(", ", roots.Folders)}); add its folder to Deployer:ModelRoots.");
        }
        else if (options.Value.Provisioner == ProvisionerKind.Processes && !File.Exists(file))
        {
            errors.Add($"{path}.uri", $"no model file at '{file}'.");
        }
    }

    /// <summary>On Kubernetes the file is read by a pod from the model volume, not by this host.</summary>
    private void ValidateClusterModel(string file, string path, Errors errors)
    {
        var settings = options.Value.Kubernetes;
        var mount = settings.ModelMountPath.TrimEnd('/') + "/";
        if (!Path.GetFullPath(file).StartsWith(mount, StringComparison.Ordinal) || file.Contains("/../", StringComparison.Ordinal))
        {
            errors.Add($"{path}.uri", $"'{file}' is outside the model volume, mounted at '{settings.ModelMountPath}' in every replica.");
        }

        if (string.IsNullOrEmpty(settings.ReferenceImage) || string.IsNullOrEmpty(settings.ModelVolumeClaim))
        {
            errors.Add(path,
                "model variants need the reference runtime's image and the model volume (Deployer:Kubernetes:ReferenceImage and Deployer:Kubernetes:ModelVolumeClaim), and this deployer has not been given them; deploy an 'image' instead.");
        }
    }

    private static void ValidateQuantity(string? quantity, string path, Errors errors)
    {
        if (quantity is null)
        {
            return;
        }

        // The parser is more lenient than the Kubernetes API (it skips spaces, for one): what it
        // would refuse must be refused here, before anything is stored.
        if (!QuantitySyntax().IsMatch(quantity))
        {
            errors.Add(path, $"'{quantity}' is not a Kubernetes quantity (for example 500m, 2, 1Gi, 512Mi).");
            return;
        }

        try
        {
            if (new ResourceQuantity(quantity).ToDecimal() <= 0)
            {
                errors.Add(path, $"'{quantity}' must be more than zero.");
            }
        }
#pragma warning disable CA1031 // The quantity parser throws several exception types for malformed input.
        catch (Exception)
#pragma warning restore CA1031
        {
            errors.Add(path, $"'{quantity}' is not a Kubernetes quantity (for example 500m, 2, 1Gi, 512Mi).");
        }
    }

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1035Label();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvName();

    /// <summary>The quantity grammar of the Kubernetes API: a signed decimal, then a binary SI, decimal SI or exponent suffix.</summary>
    [GeneratedRegex(@"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex QuantitySyntax();

    /// <summary>Problems by field, several per field allowed.</summary>
    private sealed class Errors
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list))
            {
                _errors[field] = list = [];
            }

            list.Add(message);
        }

        public Dictionary<string, string[]> ToDictionary() => _errors.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray());
    }
}
