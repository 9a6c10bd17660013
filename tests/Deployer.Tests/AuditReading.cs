using System.Diagnostics;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Reading the audit trail of a real deployer.</summary>
internal static class AuditReading
{
    public static async Task<AuditPage> PageAsync(this DeployerHarness deployer, string path, CancellationToken cancellationToken) =>
        (await deployer.Client.GetFromJsonAsync<AuditPage>(path, DeployerHarness.Json, cancellationToken))!;

    /// <summary>Polls the deployment's history until it has <paramref name="count"/> entries, every one settled.</summary>
    public static async Task<IReadOnlyList<AuditEntry>> SettledHistoryAsync(
        this DeployerHarness deployer, string name, int count, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        AuditPage? page = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            page = await deployer.PageAsync($"/v1/deployments/{name}/history", cancellationToken);
            if (page.Items.Count == count && page.Items.All(entry => entry.Outcome.Status != AuditOutcomes.Pending))
            {
                return page.Items;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"The history of {name} did not settle with {count} entries. Last: {System.Text.Json.JsonSerializer.Serialize(page)}");
    }
}
