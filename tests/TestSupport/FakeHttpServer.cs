using System.Collections.Concurrent;
using System.Net;
using System.Text;
namespace ModelPlatform.Testing;

/// <summary>
/// A tiny HTTP server in the test process that records every request's headers and answers with
/// the answer function it is given: a stand-in deployer (serving a route table), model (showing what
/// the gateway forwards) or gateway (serving its metrics to Prometheus).
/// </summary>
public sealed class FakeHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerRequest, Task<(int Status, byte[] Body)>> _answer;
    private readonly string _contentType;

    public FakeHttpServer(Func<HttpListenerRequest, Task<(int Status, string Body)>> answer, string contentType = "application/json")
        : this(async request =>
        {
            var (status, body) = await answer(request);
            return (status, Encoding.UTF8.GetBytes(body));
        }, contentType)
    {
    }

    /// <summary>A server answering with bytes: a file server standing in for a remote model's host.</summary>
    public FakeHttpServer(Func<HttpListenerRequest, Task<(int Status, byte[] Body)>> answer, string contentType)
    {
        _answer = answer;
        _contentType = contentType;
        var port = FreePort.Next();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; }

    /// <summary>Each request seen: its path and its headers.</summary>
    public ConcurrentQueue<(string Path, IReadOnlyDictionary<string, string> Headers)> Requests { get; } = new();

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                var request = context.Request;
                Requests.Enqueue((request.Url!.AbsolutePath,
                    request.Headers.AllKeys.OfType<string>().ToDictionary(key => key.ToLowerInvariant(), key => request.Headers[key]!)));
                var (status, bytes) = await _answer(request);
                context.Response.StatusCode = status;
                context.Response.ContentType = _contentType;
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            });
        }
    }
}
