using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelPlatform.Deployer.CrashHost;
using ModelPlatform.Deployer.Hosting;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Workflows.Embedded;
using ModelPlatform.ServiceDefaults;

// The deployer as Program.cs builds it, with one port decorated: the journal kills the process when
// asked to record the result of the activity named by Testing:CrashAfterActivity.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddDeployer();
var activity = builder.Configuration["Testing:CrashAfterActivity"]
    ?? throw new InvalidOperationException("Testing:CrashAfterActivity names the activity after which to crash.");
builder.Services.AddSingleton<SqliteWorkflowJournal>();
builder.Services.Replace(ServiceDescriptor.Singleton<IWorkflowJournal>(provider =>
    new CrashingJournal(provider.GetRequiredService<SqliteWorkflowJournal>(), activity, provider.GetRequiredService<ILogger<CrashingJournal>>())));

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDeployerApi();
app.Run();
