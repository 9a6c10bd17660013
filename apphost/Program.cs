using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelPlatform.AppHost;
using ModelPlatform.Contracts;

// The whole suite on one machine: the deployer (embedded runtime) and the gateway on their usual
// ports, the Aspire dashboard for their traces, metrics and logs, and the bundled model deployed.
var builder = DistributedApplication.CreateBuilder(args);
var data = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".data", "deployer"));
// The deployer's quickstart admin token, made here first so the gateway and the quickstart deploy
// can use it: the gateway reads it from the file, so it never sits in an environment variable.
var tokenFile = AdminTokenFile.EnsureExists(data, out _);

var deployer = builder.AddProject<Projects.ModelPlatform_Deployer>("deployer")
    .WithHttpEndpoint(port: 5100, name: "http", isProxied: false)
    .WithEnvironment("Deployer__DataDirectory", data)
    .WithEnvironment("Deployer__PublicUrl", "http://127.0.0.1:5000")
    .WithHttpHealthCheck("/readyz");
foreach (var (key, value) in DeployerSettings.Environment(builder.Configuration, Path.GetDirectoryName(QuickstartModel.BundledModelPath)!, tokenFile))
{
    deployer.WithEnvironment(key, value);
}

var gateway = builder.AddProject<Projects.ModelPlatform_Gateway>("gateway")
    .WithHttpEndpoint(port: 5000, name: "http", isProxied: false)
    .WithEnvironment("Deployer__Url", deployer.GetEndpoint("http"))
    .WithEnvironment("Deployer__TokenFile", tokenFile)
    .WithHttpHealthCheck("/readyz")
    .WaitFor(deployer);

// On the deployer's readiness, not the gateway's: a gateway that never gets ready (refused by the
// deployer, say) is then reported with its reason instead of leaving the quickstart silent.
builder.Eventing.Subscribe<ResourceReadyEvent>(deployer.Resource, (ready, cancellationToken) =>
{
    var logger = ready.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Quickstart");
    var stopping = ready.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
    // Not awaited: Aspire starts what waits for the deployer (the gateway) only after its ready handlers.
    _ = QuickstartModel.RunAsync(
        new QuickstartTarget(new Uri("http://127.0.0.1:5100/"), new Uri("http://127.0.0.1:5000/"), tokenFile), logger, stopping);
    return Task.CompletedTask;
});

builder.Build().Run();
