using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ModelPlatform.Gateway.Tests.Mirroring;

/// <summary>
/// A real HTTP server in the test process (Kestrel on a loopback port) that answers with the
/// handler it is given and records every request it reads: a model replica or the deployer.
/// </summary>
internal sealed class HttpStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpStandIn(WebApplication app) => _app = app;

    public Uri BaseAddress => new(_app.Urls.First());

    /// <summary>Each request but health probes: method, path and query, headers (lower-case names) and body.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task<HttpStandIn> StartAsync(Func<HttpContext, Task> answer, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new HttpStandIn(app);
        app.Run(async context =>
        {
            if (context.Request.Path.StartsWithSegments("/v2/health"))
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            standIn.Requests.Enqueue(new RecordedRequest(
                context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body.ToArray()));
            await answer(context);
        });
        await app.StartAsync(cancellationToken);
        return standIn;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body);
