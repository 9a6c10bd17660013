using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using k8s.Autorest;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// Turns what the Kubernetes API answered in refusal into a sentence a user can act on, and sorts it:
/// a refusal that asking again will not change (400, 401, 403, 404, 409, 422) is a
/// <see cref="ProvisioningException"/>; the API being briefly unable to answer (429 from API Priority
/// and Fairness, 5xx during an etcd leader change or an apiserver rollout, no answer in time, no
/// connection) is a <see cref="ProvisionerUnavailableException"/>, which is retried.
/// </summary>
internal static class KubernetesApiErrors
{
    public static bool IsNotFound(Exception exception) =>
        exception is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound };

    /// <summary>Whether <paramref name="exception"/> is the API or the way to it failing, as opposed to a bug of ours.</summary>
    public static bool IsApiFailure(Exception exception) =>
        exception is HttpOperationException or HttpRequestException or TaskCanceledException or IOException;

    /// <summary>The API refused the caller itself (401, 403): its credentials or its RBAC, not the request.</summary>
    public static bool IsAccessRefusal(Exception exception) =>
        exception is HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden };

    /// <summary>Whether the API might answer differently if asked again later.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        HttpOperationException { Response: { } response } => IsTransient(response.StatusCode),
        HttpOperationException => true,
        _ => IsApiFailure(exception),
    };

    /// <summary>"Kubernetes refused to apply Deployment 'x' (422 Invalid): {the API's message}", of the type that says whether to retry.</summary>
    public static Exception Describe(string action, Exception exception)
    {
        var message = exception switch
        {
            HttpOperationException { Response: { } response } =>
                $"Kubernetes refused to {action} ({(int)response.StatusCode} {Reason(response.Content) ?? response.ReasonPhrase}): {Message(response.Content) ?? exception.Message}",
            TaskCanceledException => $"Kubernetes did not answer in time to {action}.",
            _ => $"Kubernetes could not be reached to {action}: {exception.Message}",
        };
        return IsTransient(exception)
            ? new ProvisionerUnavailableException(message, exception) { RetryAfter = RetryAfter(exception) }
            : new ProvisioningException(message, exception);
    }

    private static bool IsTransient(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The Retry-After of a 429 or 503: seconds (what the API server sends) or an HTTP date.</summary>
    private static TimeSpan? RetryAfter(Exception exception)
    {
        if (exception is not HttpOperationException { Response.Headers: { } headers })
        {
            return null;
        }

        var value = headers.FirstOrDefault(header => string.Equals(header.Key, "Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        if (value is null)
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return RetryConditionHeaderValue.TryParse(value, out var parsed) && parsed.Date is { } date
            ? TimeSpan.FromTicks(Math.Max(0, (date - DateTimeOffset.UtcNow).Ticks))
            : null;
    }

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
