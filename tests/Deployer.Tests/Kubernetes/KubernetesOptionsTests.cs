using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Provisioning.Kubernetes;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>The Kubernetes provisioner's settings: clocks that would hide each other's reason, and a grace period that cuts the drain short, stop the start.</summary>
public sealed class KubernetesOptionsTests
{
    [Fact]
    public void The_defaults_order_the_clocks_startup_then_progress_deadline_then_ready_timeout()
    {
        var options = Kubernetes(_ => { });

        Assert.True(new KubernetesOptionsValidator().Validate(null, options).Succeeded);
        Assert.True(new DeployerOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(270, RolloutTimings.ProgressDeadlineSeconds(options));
        Assert.Equal(270, RolloutTimings.StartupTimeoutSeconds(options));
        Assert.True(options.Kubernetes.TerminationGracePeriodSeconds > 5 + 30);
    }

    [Fact]
    public void A_progress_deadline_not_shorter_than_the_ready_timeout_is_refused()
    {
        var options = Kubernetes(kubernetes => kubernetes.ProgressDeadlineSeconds = 600);

        var result = new KubernetesOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Deployer:Kubernetes:ProgressDeadlineSeconds (600) must be shorter than Deployer:ReadyTimeout (300 s)", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_startup_budget_beyond_the_progress_deadline_is_refused_and_a_longer_ready_timeout_makes_room()
    {
        var tight = Kubernetes(kubernetes => kubernetes.StartupTimeoutSeconds = 900);
        var roomy = Kubernetes(kubernetes => kubernetes.StartupTimeoutSeconds = 900);
        roomy.ReadyTimeout = TimeSpan.FromMinutes(20);

        var refused = new KubernetesOptionsValidator().Validate(null, tight);

        Assert.True(refused.Failed);
        Assert.Contains("StartupTimeoutSeconds (900) must not exceed the progress deadline (270 s)", refused.FailureMessage, StringComparison.Ordinal);
        Assert.True(new KubernetesOptionsValidator().Validate(null, roomy).Succeeded);
        Assert.Equal(1080, RolloutTimings.ProgressDeadlineSeconds(roomy));
    }

    [Fact]
    public void A_grace_period_shorter_than_the_reference_servers_drain_is_refused()
    {
        var options = Kubernetes(kubernetes => kubernetes.TerminationGracePeriodSeconds = 30);

        var result = new DeployerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Deployer:Kubernetes: TerminationGracePeriodSeconds must be between 36 and 3600", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void An_installation_id_that_is_no_label_value_is_refused()
    {
        var options = Kubernetes(kubernetes => kubernetes.InstallationId = "not a label!");

        var result = new DeployerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("InstallationId must be a Kubernetes label value", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://deployer.model-platform.svc/")]
    [InlineData("http://deployer.model-platform.svc/?x=1")]
    public void A_model_store_url_that_is_no_plain_http_address_is_refused(string url)
    {
        var options = Kubernetes(kubernetes => kubernetes.ModelStoreUrl = new Uri(url));

        var result = new KubernetesOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Deployer:Kubernetes:ModelStoreUrl", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new KubernetesOptionsValidator().Validate(null, Kubernetes(kubernetes => kubernetes.ModelStoreUrl = new Uri("http://deployer.model-platform.svc.cluster.local"))).Succeeded);
    }

    [Fact]
    public void The_clocks_are_not_checked_for_the_process_provisioner()
    {
        var options = Kubernetes(kubernetes => kubernetes.ProgressDeadlineSeconds = 600);
        options.Provisioner = ProvisionerKind.Processes;

        Assert.True(new KubernetesOptionsValidator().Validate(null, options).Skipped);
    }

    private static DeployerOptions Kubernetes(Action<KubernetesProvisionerOptions> configure)
    {
        var options = new DeployerOptions { Provisioner = ProvisionerKind.Kubernetes };
        configure(options.Kubernetes);
        return options;
    }
}
