using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModelPlatform.Contracts;

namespace ModelPlatform.AppHost;

/// <summary>
/// Deploys the bundled ResNet18 as <c>resnet18</c> through the deployer's public API once the
/// deployer is ready, waits until the gateway serves it, and says so; or says why not: the
/// deployer's refusal, the deployment's phase, the gateway's readiness answer. A PUT, so a second
/// run finds the deployment from the first unchanged instead of creating another.
/// </summary>
internal static partial class QuickstartModel
{
    public const string Name = "resnet18";

    public static string BundledModelPath { get; } =
        typeof(QuickstartModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18ModelPath").Value!;

    /// <summary><see cref="DeployAsync"/>, ended quietly by the app host's shutdown, and loudly by a deployer that went away.</summary>
    public static async Task RunAsync(QuickstartTarget target, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await DeployAsync(target, logger, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (HttpRequestException ex)
        {
            LogDeployerUnreachable(logger, target.Deployer, ex.Message);
        }
    }

    public static async Task DeployAsync(QuickstartTarget target, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var api = new HttpClient { BaseAddress = target.Deployer };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminTokenFile.Read(target.TokenFile));
        using (var response = await api.PutAsJsonAsync($"/v1/deployments/{Name}", new
        {
            stable = new { model = new { format = "onnx", uri = BundledModelPath }, replicas = 1 },
        }, cancellationToken))
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                LogTokenRefused(logger, (int)response.StatusCode, target.TokenFile);
                return;
            }

            if (!response.IsSuccessStatusCode)
            {
                LogDeployRefused(logger, (int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
                return;
            }
        }

        using var gateway = new HttpClient { BaseAddress = target.Gateway, Timeout = TimeSpan.FromSeconds(10) };
        var clock = Stopwatch.StartNew();
        string? reported = null;
        var reason = string.Empty;
        while (clock.Elapsed < target.GiveUpAfter)
        {
            var status = await api.GetFromJsonAsync<JsonObject>($"/v1/deployments/{Name}", cancellationToken);
            var phase = status?["status"]?["phase"]?.GetValue<string>();
            if (phase == DeploymentPhase.Failed)
            {
                LogFailed(logger, status!["status"]!.ToJsonString());
                return;
            }

            var gatewayReason = await GatewayNotServingAsync(gateway, cancellationToken);
            if (phase == DeploymentPhase.Ready && gatewayReason is null)
            {
                LogServed(logger, Name, target.Gateway, target.Deployer, target.TokenFile);
                return;
            }

            reason = phase == DeploymentPhase.Ready
                ? gatewayReason!
                : $"the deployment is {phase}: {status?["status"]?["conditions"]?.ToJsonString()}";
            // Said once it has taken longer than a start should, and again whenever the cause changes.
            if (clock.Elapsed >= target.ReportAfter && reason != reported)
            {
                LogNotServedYet(logger, Name, (int)clock.Elapsed.TotalSeconds, reason);
                reported = reason;
            }

            await Task.Delay(target.PollInterval, cancellationToken);
        }

        LogTimedOut(logger, Name, (int)target.GiveUpAfter.TotalSeconds, reason);
    }

    /// <summary>Why the gateway does not serve the model, or null when it does.</summary>
    private static async Task<string?> GatewayNotServingAsync(HttpClient gateway, CancellationToken cancellationToken)
    {
        try
        {
            using var model = await gateway.GetAsync($"/v2/models/{Name}/ready", cancellationToken);
            if (model.IsSuccessStatusCode)
            {
                return null;
            }

            using var readiness = await gateway.GetAsync("/readyz", cancellationToken);
            return readiness.IsSuccessStatusCode
                ? $"the gateway answers {(int)model.StatusCode} for {Name}: {await model.Content.ReadAsStringAsync(cancellationToken)}"
                : $"the gateway is not ready: {await readiness.Content.ReadAsStringAsync(cancellationToken)}";
        }
        catch (HttpRequestException ex)
        {
            return $"the gateway at {gateway.BaseAddress} does not answer: {ex.Message}";
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return $"the gateway at {gateway.BaseAddress} does not answer: {ex.Message}";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = """

        ResNet18 is served as '{Model}'.
          Infer:     POST {Gateway}v2/models/{Model}/infer   (Open Inference Protocol, JSON or binary)
          Metadata:  GET  {Gateway}v2/models/{Model}
          Deployer:  {Deployer}v1/deployments   (API page: {Deployer}scalar/v1)
          Token:     curl -H "Authorization: Bearer $(cat {TokenFile})" {Deployer}v1/deployments
          Dashboard: the login URL printed above
        """)]
    private static partial void LogServed(ILogger logger, string model, Uri gateway, Uri deployer, string tokenFile);

    [LoggerMessage(Level = LogLevel.Error, Message =
        "The deployer answered {Status} to the app host's token from {TokenFile}, so the quickstart model is not deployed and the gateway, " +
        "which uses the same file, is refused too. The deployer accepts that file when no Deployer:Auth:Tokens are configured, or when the " +
        "app host sees yours in its own settings and adds the file's token to them; was the file replaced or the deployer given tokens another way?")]
    private static partial void LogTokenRefused(ILogger logger, int status, string tokenFile);

    [LoggerMessage(Level = LogLevel.Error, Message = "The deployer refused the quickstart model with {Status}: {Problem}")]
    private static partial void LogDeployRefused(ILogger logger, int status, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "The quickstart stopped: the deployer at {Deployer} did not answer ({Reason}).")]
    private static partial void LogDeployerUnreachable(ILogger logger, Uri deployer, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The quickstart model failed to deploy: {Status}")]
    private static partial void LogFailed(ILogger logger, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{Model}' is not served yet after {Seconds} s: {Reason}")]
    private static partial void LogNotServedYet(ILogger logger, string model, int seconds, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "'{Model}' was not served within {Seconds} s: {Reason}. The dashboard has each service's logs.")]
    private static partial void LogTimedOut(ILogger logger, string model, int seconds, string reason);
}

/// <summary>Where the quickstart deploys and checks, and how patiently.</summary>
internal sealed record QuickstartTarget(Uri Deployer, Uri Gateway, string TokenFile)
{
    /// <summary>How long a start may take before the app host says what it is waiting for.</summary>
    public TimeSpan ReportAfter { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}
