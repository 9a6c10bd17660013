using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ModelPlatform.ServiceDefaults.Tests;

/// <summary>
/// ASP.NET Core's request metrics: exported by every service by default (the deployer and the model
/// servers rely on them), left out by one that measures each request itself (the gateway).
/// </summary>
[Collection(nameof(ProbeTracingTests))]
public sealed class AspNetCoreMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task By_default_requests_are_measured_by_aspnetcore()
    {
        var metrics = await MetricsAfterOneRequestAsync(aspNetCoreMetrics: null);

        Assert.Contains("http_server_request_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
        Assert.Contains("kestrel_active_connections{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_that_leaves_them_out_exports_none_of_aspnetcores_meters()
    {
        var metrics = await MetricsAfterOneRequestAsync(aspNetCoreMetrics: false);

        Assert.DoesNotContain("http_server_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("kestrel_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_", metrics, StringComparison.Ordinal);
        // The service's own and the runtime's are still there.
        Assert.Contains("service_requests_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_", metrics, StringComparison.Ordinal);
    }

    private static async Task<string> MetricsAfterOneRequestAsync(bool? aspNetCoreMetrics)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        const string Meter = "ServiceDefaults.Tests.Own";
        if (aspNetCoreMetrics is { } enabled)
        {
            builder.AddServiceDefaults(meters: [Meter], aspNetCoreMetrics: enabled);
        }
        else
        {
            builder.AddServiceDefaults(meters: [Meter]);
        }

        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        var requests = app.Services.GetRequiredService<IMeterFactory>().Create(Meter).CreateCounter<long>("service.requests");
        app.MapGet("/work", () =>
        {
            requests.Add(1);
            return Results.Ok();
        });
        await app.StartAsync(Ct);

        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        (await client.GetAsync("/work", Ct)).EnsureSuccessStatusCode().Dispose();
        var metrics = await client.GetStringAsync(ServiceDefaultsExtensions.MetricsPath, Ct);
        await app.StopAsync(Ct);
        return metrics;
    }
}
