using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ModelPlatform.ServiceDefaults.Tests;

/// <summary>Which name and instance a service's telemetry carries: what the dashboard files it under.</summary>
public sealed class TelemetryResourceTests
{
    [Fact]
    public async Task The_name_and_attributes_a_launcher_gives_are_kept()
    {
        // What the deployer gives a replica: its deployment and variant, so the dashboard shows them.
        await using var app = Build(
            ("OTEL_SERVICE_NAME", "resnet-canary"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=resnet-canary-1,deployment=resnet,variant=canary"));

        var attributes = Attributes(app);

        Assert.Equal("resnet-canary", attributes["service.name"]);
        Assert.Equal("resnet-canary-1", attributes["service.instance.id"]);
        Assert.Equal("resnet", attributes["deployment"]);
        Assert.Equal("canary", attributes["variant"]);
    }

    [Fact]
    public async Task Without_a_given_name_the_application_name_is_the_service_name()
    {
        await using var app = Build();

        Assert.Equal(app.Environment.ApplicationName, Attributes(app)["service.name"]);
    }

    private static WebApplication Build(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.AddServiceDefaults();
        return builder.Build();
    }

    private static Dictionary<string, object> Attributes(WebApplication app) =>
        app.Services.GetRequiredService<MeterProvider>().GetResource().Attributes.ToDictionary(pair => pair.Key, pair => pair.Value);
}
