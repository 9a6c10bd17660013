using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Kubernetes;
using ModelPlatform.Deployer.Provisioning.Processes;
using ModelPlatform.Deployer.State.Sqlite;

namespace ModelPlatform.Deployer.Hosting;

/// <summary>
/// Chooses the replica provisioner from <c>Deployer:Provisioner</c>. It is the first hosted service,
/// so it has adopted its replicas (or read the cluster) before workflows resume.
/// </summary>
internal static class ProvisionerExtensions
{
    public static WebApplicationBuilder AddReplicaProvisioner(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var kind = builder.Configuration.GetSection(DeployerOptions.Section).GetValue(nameof(DeployerOptions.Provisioner), ProvisionerKind.Processes);
        if (kind == ProvisionerKind.Kubernetes)
        {
            // KUBECONFIG, else ~/.kube/config, else the pod's service account: the same lookup kubectl makes.
            services.AddSingleton<IKubernetes>(_ => new k8s.Kubernetes(KubernetesClientConfiguration.BuildDefaultConfig()));
            services.AddSingleton<ReplicaSetManifests>();
            services.AddSingleton<ModelFetchSecret>();
            services.AddSingleton<IValidateOptions<DeployerOptions>, KubernetesOptionsValidator>();
            services.AddSingleton<KubernetesProvisioner>();
            services.AddSingleton<IReplicaProvisioner>(provider => provider.GetRequiredService<KubernetesProvisioner>());
            services.AddHostedService(provider => provider.GetRequiredService<KubernetesProvisioner>());
        }
        else
        {
            // Local processes are this machine's business, so their registry is SQLite in either runtime.
            services.TryAddSingleton<SqliteDatabase>();
            services.AddSingleton<IReplicaRegistry, SqliteReplicaRegistry>();
            services.AddHttpClient(ProcessProvisioner.ProbeClient, client => client.Timeout = TimeSpan.FromSeconds(2));
            services.AddSingleton<ProcessProvisioner>();
            services.AddSingleton<IReplicaProvisioner>(provider => provider.GetRequiredService<ProcessProvisioner>());
            services.AddHostedService(provider => provider.GetRequiredService<ProcessProvisioner>());
        }

        return builder;
    }
}
