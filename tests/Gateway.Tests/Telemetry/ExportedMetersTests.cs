using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.Http;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Telemetry;
using ModelPlatform.Gateway.Tests.Mirroring;
using ModelPlatform.ServiceDefaults;

namespace ModelPlatform.Gateway.Tests.Telemetry;

/// <summary>
/// Which meters the real gateway (in process, forwarding to a stand-in replica) exports at
/// <c>/metrics</c>: its own per-variant series always, ASP.NET Core's only when configured.
/// </summary>
public sealed partial class ExportedMetersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task By_default_each_request_is_measured_by_the_gateways_own_series_and_not_again_by_aspnetcore()
    {
        var metrics = await MetricsAfterOneRequestAsync(null);

        AssertGatewaySeries(metrics);
        Assert.DoesNotContain("http_server_request_duration", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("http_server_active_requests", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("kestrel_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_routing_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("http_client_request_duration", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Meters_named_in_the_settings_are_exported_besides_the_gateways_own()
    {
        var metrics = await MetricsAfterOneRequestAsync(new Dictionary<string, string?>
        {
            ["Gateway:Telemetry:Meters:0"] = "Microsoft.AspNetCore.*",
            ["Gateway:Telemetry:Meters:1"] = "System.Net.Http",
        });

        AssertGatewaySeries(metrics);
        Assert.Contains("http_server_request_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
        Assert.Contains("kestrel_active_connections{", metrics, StringComparison.Ordinal);
        Assert.Contains("http_client_request_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Microsoft AspNetCore")]
    [InlineData("Meter/Name")]
    public void A_meter_setting_that_is_no_meter_name_is_refused_naming_the_setting(string meter)
    {
        var options = new TelemetryOptions();
        options.Meters.Add("Microsoft.AspNetCore.Hosting");
        options.Meters.Add(meter);

        var errors = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true));

        var error = Assert.Single(errors);
        Assert.Contains("Gateway:Telemetry:Meters", error.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains($"'{meter}'", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Wildcards_and_dotted_names_are_meter_names()
    {
        var options = new TelemetryOptions();
        options.Meters.Add("Microsoft.AspNetCore.*");
        options.Meters.Add("System.Net.Http");

        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true));
    }

    private static async Task<string> MetricsAfterOneRequestAsync(IDictionary<string, string?>? settings)
    {
        await using var replica = await HttpStandIn.StartAsync(static context => context.Response.WriteAsync("""{"outputs":[]}""", context.RequestAborted), Ct);
        await using var gateway = await MirrorGateway.StartAsync(MirrorGateway.Table(1, replica.BaseAddress, replica.BaseAddress.ToString(), 0, 0), settings, Ct);

        using (var response = await gateway.InferAsync("""{"inputs":[]}""", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The caller has the answer a moment before the gateway's last steps count the request out of
        // flight and then as answered: a scrape in that moment reads it in flight still (seen once in
        // a full run), or not yet counted.
        var scrapes = 0;
        while (true)
        {
            var metrics = await gateway.Client.GetStringAsync(new Uri(gateway.BaseAddress, ServiceDefaultsExtensions.MetricsPath), Ct);
            if ((InFlightNone().IsMatch(metrics) && Answered().IsMatch(metrics)) || ++scrapes == 100)
            {
                return metrics;
            }

            await Task.Delay(20, Ct);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex($$"""{{GatewayMetricNames.InFlight}}\{[^}]*model="m"[^}]*variant="stable"[^}]*\} 0""")]
    private static partial System.Text.RegularExpressions.Regex InFlightNone();

    [System.Text.RegularExpressions.GeneratedRegex($$"""{{GatewayMetricNames.Requests}}\{[^}]*model="m"[^}]*variant="stable"[^}]*\} [1-9]""")]
    private static partial System.Text.RegularExpressions.Regex Answered();

    // What the deployer's Prometheus queries and the rollout judge read.
    private static void AssertGatewaySeries(string metrics)
    {
        Assert.Matches($$"""{{GatewayMetricNames.Requests}}\{[^}]*model="m"[^}]*outcome="success"[^}]*status_code="200"[^}]*variant="stable"[^}]*\} [1-9]""", metrics);
        Assert.Matches($$"""{{GatewayMetricNames.DurationBuckets}}\{[^}]*model="m"[^}]*variant="stable"[^}]*\}""", metrics);
        Assert.Matches($$"""{{GatewayMetricNames.InFlight}}\{[^}]*model="m"[^}]*variant="stable"[^}]*\} 0""", metrics);
    }
}
