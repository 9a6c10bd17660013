using ModelPlatform.SampleInference.Hosting;
using ModelPlatform.SampleInference.Lifecycle;
using ModelPlatform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddInferenceServer();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapInferenceProtocol();

try
{
    app.Run();
}
catch (Exception ex) when (TerminationMessage.Write(ex.Message))
{
    // Never entered: the filter only records why start-up failed, and the exception goes on as before.
}
