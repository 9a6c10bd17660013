using System.Net.Http.Json;
using System.Text.Json;
using ModelPlatform.Contracts;

namespace ModelPlatform.Gateway.Routing;

/// <summary>
/// The protocol extensions the gateway's models support, for its server metadata (<c>/v2</c> and
/// gRPC's ServerMetadata): the union of what each model's replicas list in their own <c>/v2</c>,
/// kept to those the gateway passes on for a model (its configuration, its statistics, binary
/// tensors...). Server-wide extensions (the model repository, logging, trace, shared memory) are
/// not the gateway's to offer and are never listed. Each model is asked once per replica address
/// it is first seen at; a replica that cannot be reached is asked again a second later.
/// </summary>
internal sealed partial class ModelExtensions(RouteTableState state, IHttpClientFactory clients, ILogger<ModelExtensions> logger) : BackgroundService
{
    public const string ClientName = "model-extensions";

    private static readonly HashSet<string> PassedOn = new(StringComparer.Ordinal)
    {
        "binary_tensor_data", "classification", "model_configuration", "parameters", "schedule_policy", "sequence", "statistics",
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>What each model's replica (by address) said it supports.</summary>
    private readonly Dictionary<string, (string Endpoint, string[] Extensions)> _byModel = new(StringComparer.Ordinal);

    private volatile IReadOnlyList<string> _supported = [];

    public IReadOnlyList<string> Supported => _supported;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            if (state.Table is { } table)
            {
                await RefreshAsync(table, stoppingToken);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task RefreshAsync(RouteTable table, CancellationToken cancellationToken)
    {
        foreach (var gone in _byModel.Keys.Where(model => table.Models.All(route => route.Name != model)).ToList())
        {
            _byModel.Remove(gone);
        }

        foreach (var model in table.Models)
        {
            var endpoint = model.Variants.SelectMany(variant => variant.Endpoints).FirstOrDefault();
            if (endpoint is null || (_byModel.TryGetValue(model.Name, out var known) && known.Endpoint == endpoint))
            {
                continue;
            }

            if (await AskAsync(endpoint, cancellationToken) is { } extensions)
            {
                _byModel[model.Name] = (endpoint, extensions);
            }
        }

        _supported = [.. _byModel.Values.SelectMany(entry => entry.Extensions).Where(PassedOn.Contains).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>A replica's extensions; none when it answers without them; null when it cannot be asked now.</summary>
    private async Task<string[]?> AskAsync(string endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await clients.CreateClient(ClientName).GetAsync(new Uri(endpoint.TrimEnd('/') + "/v2"), timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return [];
            }

            var metadata = await response.Content.ReadFromJsonAsync<Metadata>(Json, timeout.Token);
            return [.. metadata?.Extensions ?? []];
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogAskFailed(logger, endpoint, ex.Message);
            return ex is JsonException ? [] : null;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not ask {Endpoint} for its protocol extensions: {Reason}")]
    private static partial void LogAskFailed(ILogger logger, string endpoint, string reason);

    /// <summary>The part of a replica's V2 server metadata read here.</summary>
    private sealed record Metadata(IReadOnlyList<string>? Extensions);
}
