using System.Net;
using System.Net.Http.Headers;

namespace ModelPlatform.Gateway.Routing;

/// <summary>
/// Puts the deployer token on every call of the route watch, read at the call (not once when the
/// client is built), and the Dapr sidecar's API token when one is set: through a sidecar that
/// requires it (set in the pod by Dapr's injector as <c>DAPR_API_TOKEN</c>), the watch carries it.
/// </summary>
internal sealed class DeployerAuthenticationHandler(DeployerToken token, IConfiguration configuration) : DelegatingHandler
{
    public const string DaprApiTokenHeader = "dapr-api-token";

    private readonly string? _daprApiToken = configuration["DAPR_API_TOKEN"] is { Length: > 0 } dapr ? dapr : null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Current());
        if (_daprApiToken is not null)
        {
            request.Headers.TryAddWithoutValidation(DaprApiTokenHeader, _daprApiToken);
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            token.Refused();
        }

        return response;
    }
}
