using ModelPlatform.Contracts;

namespace ModelPlatform.Gateway.Routing;

/// <summary>What the gateway routes by now, and how its link to the deployer is doing.</summary>
internal sealed class RouteTableState(TimeProvider time)
{
    private volatile RouteTable? _table;
    private volatile RouteTable? _serving;
    private volatile IReadOnlyDictionary<string, ModelPolicy> _policies = new Dictionary<string, ModelPolicy>();
    private volatile string? _lastError;
    private DateTimeOffset _lastContact;

    /// <summary>The table whose API keys, rate limits and mirrors are in force; null until the first one arrives.</summary>
    public RouteTable? Table => _table;

    /// <summary>The table YARP routes by: it follows <see cref="Table"/> once the routes are applied, so health says only what is served.</summary>
    public RouteTable? Serving => _serving;

    /// <summary>Why the deployer does not answer, or null while it does.</summary>
    public string? LastError => _lastError;

    public DateTimeOffset LastContact => _lastContact;

    /// <summary>The API keys and rate limit of <paramref name="model"/> in the table in force.</summary>
    public ModelPolicy? PolicyOf(string model) => _policies.GetValueOrDefault(model);

    public void Applied(RouteTable table)
    {
        _policies = table.Models.ToDictionary(model => model.Name, model => new ModelPolicy(model), StringComparer.Ordinal);
        _table = table;
        Reached();
    }

    public void Routed(RouteTable table) => _serving = table;

    public void Reached()
    {
        _lastError = null;
        _lastContact = time.GetUtcNow();
    }

    public void Unreachable(string error) => _lastError = error;
}
