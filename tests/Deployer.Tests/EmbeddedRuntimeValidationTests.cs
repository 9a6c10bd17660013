using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Processes;
using ModelPlatform.Deployer.Validation;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// What the embedded runtime refuses because its replicas are processes on this host, as the
/// deployer's own user: env that changes what code they load, and GPUs the host does not have.
/// The Kubernetes provisioner runs containers, and allows the env.
/// </summary>
public sealed class EmbeddedRuntimeValidationTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("modelplatform-validation-").FullName;

    public static TheoryData<string> HostProcessVariables =>
    [
        "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DOTNET_STARTUP_HOOKS", "DOTNET_ADDITIONAL_DEPS", "dotnet_startup_hooks",
        "COMPlus_EnableDiagnostics", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER_PATH", "ASPNETCORE_HOSTINGSTARTUPASSEMBLIES",
        "hostingStartupAssemblies", "OPENSSL_CONF", "GCONV_PATH", "PATH", "CUDA_INJECTION64_PATH",
    ];

    public static TheoryData<string> ListenVariables =>
    [
        "Kestrel__Endpoints__Public__Url", "kestrel__endpoints__x__url", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "URLS", "HTTP_PORTS",
        "Inference__BindAddress", "Inference__Port", "ASPNETCORE_Kestrel__Endpoints__Public__Url", "aspnetcore_kestrel__endpoints__x__url",
        "ASPNETCORE_Inference__BindAddress", "ASPNETCORE_HTTPS_PORTS",
    ];

    [Theory]
    [MemberData(nameof(ListenVariables))]
    public void Env_that_changes_where_a_replica_listens_is_refused_on_the_embedded_runtime(string name)
    {
        var errors = Validator(ProvisionerKind.Processes).Validate(Request(ModelVariant(env: new() { [name] = "http://0.0.0.0:9000" })), null);

        var message = Assert.Single(Assert.Contains($"stable.env.{name}", errors));
        Assert.Contains("serve on loopback only", message, StringComparison.Ordinal);
        var container = new VariantSpec { Image = "registry.example/team/model:1", Env = new Dictionary<string, string> { [name] = "http://0.0.0.0:9000" } };
        Assert.Empty(Validator(ProvisionerKind.Kubernetes).Validate(Request(container), null));
    }

    [Theory]
    [MemberData(nameof(HostProcessVariables))]
    public void Env_that_changes_what_a_host_process_loads_is_refused_on_the_embedded_runtime_naming_the_field_and_why(string name)
    {
        var errors = Validator(ProvisionerKind.Processes).Validate(Request(ModelVariant(env: new() { [name] = "/tmp/x" })), null);

        var message = Assert.Single(Assert.Contains($"stable.env.{name}", errors));
        Assert.Contains("the embedded runtime runs replicas as the deployer's own user", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ordinary_env_is_accepted_on_the_embedded_runtime()
    {
        var env = new Dictionary<string, string> { ["Inference__IntraOpThreads"] = "2", ["MY_FEATURE_FLAG"] = "on", ["Logging__LogLevel__Default"] = "Debug", ["ASPNETCORE_ENVIRONMENT"] = "Staging" };

        Assert.Empty(Validator(ProvisionerKind.Processes).Validate(Request(ModelVariant(env: env)), null));
    }

    [Fact]
    public void Loader_env_is_allowed_on_the_Kubernetes_provisioner_where_a_container_is_isolated()
    {
        var variant = new VariantSpec { Image = "registry.example/team/model:1", Env = new Dictionary<string, string> { ["LD_PRELOAD"] = "/opt/lib/libjemalloc.so", ["DOTNET_gcServer"] = "1" } };

        Assert.Empty(Validator(ProvisionerKind.Kubernetes).Validate(Request(variant), null));
    }

    [Fact]
    public void The_launcher_refuses_a_stored_variant_with_loader_env_and_starts_nothing()
    {
        var launcher = new ReplicaLauncher(Options.Create(new DeployerOptions()));
        var spec = new ReplicaSetSpec("m-abc", "m", VariantNames.Stable, ModelVariant(env: new() { ["LD_PRELOAD"] = "/tmp/evil.so" }));
        var log = Path.Combine(_models, "logs", "replica-0.log");

        var refused = Assert.Throws<InvalidOperationException>(() => launcher.Launch(spec, 1, 2, log));

        Assert.Contains("LD_PRELOAD", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(log));
    }

    [Fact]
    public void A_gpu_variant_is_refused_on_the_embedded_runtime_when_the_host_has_no_gpu()
    {
        var variant = ModelVariant() with { Resources = new ResourceSpec { Gpu = 1 } };

        var errors = Validator(ProvisionerKind.Processes, gpuDevice: Path.Combine(_models, "no-such-device")).Validate(Request(variant), null);

        var message = Assert.Single(Assert.Contains("stable.resources.gpu", errors));
        Assert.Contains("no NVIDIA GPU", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gpu_variant_is_accepted_on_the_embedded_runtime_when_the_host_has_a_gpu()
    {
        var device = Path.Combine(_models, "nvidia0");
        File.WriteAllText(device, string.Empty);
        var variant = ModelVariant() with { Resources = new ResourceSpec { Gpu = 1 } };

        Assert.Empty(Validator(ProvisionerKind.Processes, gpuDevice: device).Validate(Request(variant), null));
    }

    public void Dispose() => Directory.Delete(_models, recursive: true);

    private static DeploymentRequest Request(VariantSpec stable) => new() { Name = "m", Stable = stable };

    private VariantSpec ModelVariant(Dictionary<string, string>? env = null) =>
        new() { Model = new ModelSource { Format = "onnx", Uri = TestModels.WriteAddMul(_models) }, Env = env };

    private DeploymentValidator Validator(ProvisionerKind provisioner, string? gpuDevice = null)
    {
        var options = Options.Create(new DeployerOptions { Provisioner = provisioner, ModelRoots = [_models] });
        return new DeploymentValidator(options, new ModelRoots(options, new ReplicaLauncher(options)), new RegistryAllowList([]), new HostGpus([gpuDevice ?? "/dev/null"]));
    }
}
