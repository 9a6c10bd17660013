using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Connection;

namespace ModelPlatform.Cli.Http;

/// <summary>
/// One server (the deployer or the gateway) over HTTP: sends a request, and either returns the
/// answer or throws the <see cref="CliFailure"/> that explains it. Each request but uploads gets
/// <see cref="RequestTimeout"/>; a server that does not answer in time counts as unreachable.
/// </summary>
internal sealed class ApiClient(HttpClient http, Uri baseAddress, string serverName, string setting, ConnectionSettings? connection)
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    public Uri BaseAddress { get; } = baseAddress;

    /// <summary>An answer read whole: its status, body text and ETag.</summary>
    internal sealed record Answer(HttpStatusCode Status, string Body, string? ETag, HttpResponseHeaders Headers)
    {
        public JsonNode? Json() => Body.Length == 0 ? null : JsonNode.Parse(Body);

        public JsonObject Object() => Json() as JsonObject ?? throw new CliFailure(ExitCodes.Unexpected, "The server's answer is not a JSON object.", Body);
    }

    /// <summary>Sends and returns the answer; a status outside 2xx (and not in <paramref name="accepted"/>) throws.</summary>
    public async Task<Answer> SendAsync(
        HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? headers = null, bool unbounded = false, params HttpStatusCode[] accepted)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseAddress, path)) { Content = content };
        if (connection?.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (!unbounded)
        {
            timeout.CancelAfter(RequestTimeout);
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!response.IsSuccessStatusCode && !accepted.Contains(response.StatusCode))
            {
                throw ApiErrors.FromAnswer(response.StatusCode, response.ReasonPhrase, body, serverName, connection);
            }

            return new Answer(response.StatusCode, body, response.Headers.ETag?.Tag, response.Headers);
        }
        catch (HttpRequestException ex)
        {
            throw ApiErrors.Unreachable(ex, serverName, BaseAddress, setting);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw ApiErrors.Unreachable(new TimeoutException($"No answer within {RequestTimeout.TotalSeconds:0} s.", ex), serverName, BaseAddress, setting);
        }
    }

    public static StringContent JsonContent(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}
