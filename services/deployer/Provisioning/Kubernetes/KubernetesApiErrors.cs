using System.Net;
using System.Text.Json;
using k8s.Autorest;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>Turns what the Kubernetes API answered in refusal into a sentence a user can act on.</summary>
internal static class KubernetesApiErrors
{
    public static bool IsNotFound(Exception exception) =>
        exception is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound };

    /// <summary>Whether <paramref name="exception"/> is the API or the way to it failing, as opposed to a bug of ours.</summary>
    public static bool IsApiFailure(Exception exception) =>
        exception is HttpOperationException or HttpRequestException or TaskCanceledException or IOException;

    /// <summary>"Kubernetes refused to apply Deployment 'x' (422 Invalid): {the API's message}".</summary>
    public static ProvisioningException Describe(string action, Exception exception) => exception switch
    {
        HttpOperationException { Response: { } response } => new ProvisioningException(
            $"Kubernetes refused to {action} ({(int)response.StatusCode} {Reason(response.Content) ?? response.ReasonPhrase}): {Message(response.Content) ?? exception.Message}",
            exception),
        TaskCanceledException => new ProvisioningException($"Kubernetes did not answer in time to {action}.", exception),
        _ => new ProvisioningException($"Kubernetes could not be reached to {action}: {exception.Message}", exception),
    };

    private static string? Message(string? status) => Field(status, "message");

    private static string? Reason(string? status) => Field(status, "reason");

    private static string? Field(string? status, string name)
    {
        if (string.IsNullOrWhiteSpace(status))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(status);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return name == "message" ? status : null;
        }
    }
}
