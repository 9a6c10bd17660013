using ModelPlatform.SampleInference.Hosting;
using ModelPlatform.SampleInference.Lifecycle;
using ModelPlatform.ServiceDefaults;

TerminationMessage.WriteOnUnhandledException();

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddInferenceServer();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapInferenceProtocol();

app.Run();
