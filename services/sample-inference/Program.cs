using ModelPlatform.SampleInference.Hosting;
using ModelPlatform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddInferenceServer();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapInferenceProtocol();

app.Run();
