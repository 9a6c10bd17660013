using ModelPlatform.Deployer.Hosting;
using ModelPlatform.Deployer.Provisioning.Kubernetes;
using ModelPlatform.Deployer.State;
using ModelPlatform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddDeployer();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapDeployerApi();

try
{
    app.Run();
}
catch (StoreUnavailableException ex)
{
    // A store the deployer cannot read is a reason to stop, not to start empty over someone's data.
    await Console.Error.WriteLineAsync(ex.Message);
    return 4;
}
catch (KubernetesAccessException ex)
{
    // Reconciling against a cluster the deployer cannot read would take every workload for gone.
    await Console.Error.WriteLineAsync(ex.Message);
    return 5;
}

return 0;
