using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ModelPlatform.ServiceDefaults.Tests;

/// <summary>
/// Health probes (every replica, every few seconds) stay out of the traces, on the probed side and
/// on the probing side; a request to a model is traced on both. Its listener hears every request
/// in the process, so the other classes that serve requests run in its collection, not beside it.
/// </summary>
[Collection(nameof(ProbeTracingTests))]
public sealed class ProbeTracingTests : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string Source, bool Recorded)> _stopped = new();
    private readonly ActivityListener _listener;
    private WebApplication? _app;

    public ProbeTracingTests()
    {
        // Listens as any exporter's listener would; the service defaults' filters clear Recorded,
        // which is what decides whether a span is exported.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "System.Net.Http" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => _stopped.Enqueue((activity.Source.Name, activity.Recorded)),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("/v2/health/ready")]
    [InlineData("/v2/health/live")]
    [InlineData("/readyz")]
    [InlineData("/healthz")]
    public async Task A_probe_is_traced_neither_by_the_client_nor_by_the_server(string path)
    {
        var spans = await RequestAsync(path);

        Assert.Contains(spans, span => span.Source == "System.Net.Http");
        Assert.Contains(spans, span => span.Source == "Microsoft.AspNetCore");
        Assert.All(spans, span => Assert.False(span.Recorded, $"{span.Source} recorded {path}"));
    }

    [Fact]
    public async Task A_model_request_is_traced_by_the_client_and_by_the_server()
    {
        var spans = await RequestAsync("/v2/models/m/ready");

        Assert.Contains(spans, span => span.Source == "System.Net.Http" && span.Recorded);
        Assert.Contains(spans, span => span.Source == "Microsoft.AspNetCore" && span.Recorded);
    }

    private async Task<List<(string Source, bool Recorded)>> RequestAsync(string path)
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        // Spans are only made with an exporter configured; nothing listens there, and nothing need.
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9";
        builder.AddServiceDefaults();
        _app = builder.Build();
        _app.MapDefaultEndpoints();
        _app.MapGet("/v2/health/{state}", () => Results.Ok());
        _app.MapGet("/v2/models/{name}/ready", () => Results.Ok());
        await _app.StartAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient();
        using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _app.StopAsync(TestContext.Current.CancellationToken);
        // One request per test: every span this listener saw is that request's.
        return [.. _stopped];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
