using System.Diagnostics;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModelPlatform.Contracts;

namespace ModelPlatform.AppHost;

/// <summary>
/// Deploys the bundled ResNet18 as <c>resnet18</c> through the deployer's public API once the
/// suite is up, waits until the gateway serves it, and says so. A PUT, so a second run finds the
/// deployment from the first unchanged instead of creating another.
/// </summary>
internal static partial class QuickstartModel
{
    public const string Name = "resnet18";

    public static string BundledModelPath { get; } =
        typeof(QuickstartModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18ModelPath").Value!;

    public static async Task DeployAsync(Uri deployer, Uri gateway, string tokenFile, ILogger logger, CancellationToken cancellationToken)
    {
        using var api = new HttpClient { BaseAddress = deployer };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminTokenFile.Read(tokenFile));
        using var response = await api.PutAsJsonAsync($"/v1/deployments/{Name}", new
        {
            stable = new { model = new { format = "onnx", uri = BundledModelPath }, replicas = 1 },
        }, cancellationToken);
        response.EnsureSuccessStatusCode();

        using var client = new HttpClient { BaseAddress = gateway };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            var status = await api.GetFromJsonAsync<JsonObject>($"/v1/deployments/{Name}", cancellationToken);
            var phase = status?["status"]?["phase"]?.GetValue<string>();
            if (phase == "Failed")
            {
                LogFailed(logger, status!["status"]!.ToJsonString());
                return;
            }

            using var ready = await client.GetAsync($"/v2/models/{Name}/ready", cancellationToken);
            if (phase == "Ready" && ready.IsSuccessStatusCode)
            {
                LogServed(logger, Name, gateway, deployer, tokenFile);
                return;
            }

            await Task.Delay(200, cancellationToken);
        }

        LogTimedOut(logger);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "The quickstart model failed to deploy: {Status}")]
    private static partial void LogFailed(ILogger logger, string status);

    [LoggerMessage(Level = LogLevel.Error, Message = "The quickstart model was not served within 5 minutes; see the deployer's logs in the dashboard.")]
    private static partial void LogTimedOut(ILogger logger);
}
