using ModelPlatform.Deployer.Hosting;
using ModelPlatform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddDeployer();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapDeployerApi();

app.Run();
