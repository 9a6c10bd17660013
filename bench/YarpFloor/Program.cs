using Yarp.ReverseProxy.Configuration;

// The least a YARP proxy does: one route, one cluster of the given destinations, round-robin, no
// logging, metrics, health checks or middleware of ours. The benchmark runs it as a reference, so
// the gateway's figures split into what YARP on ASP.NET Core costs and what the gateway adds.
// Usage: BACKENDS="http://backend-1 http://backend-2" YarpFloor --urls http://127.0.0.1:PORT
var destinations = (Environment.GetEnvironmentVariable("BACKENDS") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "backends", Match = new RouteMatch { Path = "/{**rest}" } }],
    [new ClusterConfig
    {
        ClusterId = "backends",
        LoadBalancingPolicy = "RoundRobin",
        Destinations = destinations.Select((url, i) => (url, i)).ToDictionary(d => $"d{d.i}", d => new DestinationConfig { Address = d.url }),
    }]);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
