using System.Net;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Connection;

namespace ModelPlatform.Cli.Http;

/// <summary>
/// The gateway's Open Inference Protocol routes for one model (docs/inference-contract.md): no
/// deployer token is sent (end users' API keys are not the CLI's business).
/// </summary>
internal sealed class GatewayClient(HttpClient http, Uri gateway)
{
    /// <summary>The header that pins a request to one variant (docs/gateway.md).</summary>
    public const string VariantHeader = "x-model-variant";

    private readonly ApiClient _api = new(http, gateway, "the gateway", $"--gateway or ${ConnectionSettings.GatewayVariable}", null);

    public Uri Address => gateway;

    public static string ModelPath(string name) => "v2/models/" + Uri.EscapeDataString(name);

    /// <summary>
    /// True when the gateway routes <c>GET /v2/models/{name}/ready</c> (pinned to a variant if given)
    /// to a replica that answers 200. Readiness rather than metadata: the deployer's probes have run
    /// that endpoint in a new replica already, so the first call through the gateway does not wait for
    /// the replica to compile its metadata code (about 30 ms of a 55-95 ms first call, measured).
    /// </summary>
    public async Task<bool> ServesAsync(string name, string? variant, CancellationToken cancellationToken)
    {
        // 400 is the protocol's "not ready" (with no body); the others: no route yet, or no replica behind it.
        var answer = await _api.SendAsync(HttpMethod.Get, ModelPath(name) + "/ready", null, cancellationToken, Pin(variant),
            accepted: [HttpStatusCode.BadRequest, HttpStatusCode.NotFound, HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout]);
        return answer.Status == HttpStatusCode.OK;
    }

    /// <summary>Sends an inference request; the answer's body and the variant that served it.</summary>
    public async Task<(JsonNode? Body, string? Variant)> InferAsync(string name, string body, string? variant, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var answer = await _api.SendAsync(HttpMethod.Post, ModelPath(name) + "/infer", content, cancellationToken, Pin(variant));
        var served = answer.Headers.TryGetValues(VariantHeader, out var values) ? values.FirstOrDefault() : null;
        return (answer.Json(), served);
    }

    private static Dictionary<string, string>? Pin(string? variant) =>
        variant is null ? null : new Dictionary<string, string> { [VariantHeader] = variant };
}
