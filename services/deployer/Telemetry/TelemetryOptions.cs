using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Telemetry;

/// <summary>Per-variant telemetry: its source and the windows callers may ask for, under <c>Deployer:Telemetry</c>.</summary>
public sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "Deployer:Telemetry";

    /// <summary>Gateways' reports kept in memory (<c>Embedded</c>, the default) or Prometheus's HTTP API (<c>Prometheus</c>).</summary>
    public TelemetrySource Source { get; set; } = TelemetrySource.Embedded;

    /// <summary>Embedded: the length of one time slot; reports are summed per slot. The default is 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Resolution { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The shortest window a caller may ask for. The default is 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MinWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest window a caller may ask for; embedded, also how long slots are kept. The default is 10 min.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan MaxWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Embedded: a gateway that has not reported for this long stops counting (its in-flight requests, its place in the total). The default is 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ReportExpiry { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Embedded: the most gateways reporting at once; reports from more are refused. The default is 1000.</summary>
    [Range(1, 100_000)]
    public int MaxGateways { get; set; } = 1000;

    public PrometheusTelemetryOptions Prometheus { get; set; } = new();

    /// <summary>Embedded: the slots kept per variant.</summary>
    internal int Slots => (int)(MaxWindow.Ticks / Resolution.Ticks) + 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinWindow > MaxWindow)
        {
            yield return new ValidationResult($"{Section}:MinWindow ({MinWindow}) is longer than MaxWindow ({MaxWindow}).", [nameof(MinWindow)]);
        }

        if (Source == TelemetrySource.Embedded && Resolution > MinWindow)
        {
            yield return new ValidationResult($"{Section}:Resolution ({Resolution}) is longer than MinWindow ({MinWindow}).", [nameof(Resolution)]);
        }

        if (Source == TelemetrySource.Embedded && Slots > 100_000)
        {
            yield return new ValidationResult(
                $"{Section}:MaxWindow / Resolution is {Slots - 1} slots per variant; at most 100000 are kept in memory: raise Resolution or lower MaxWindow.",
                [nameof(MaxWindow)]);
        }

        foreach (var result in ValidatePrometheus())
        {
            yield return result;
        }
    }

    private IEnumerable<ValidationResult> ValidatePrometheus()
    {
        var prometheus = Prometheus;
        var context = new ValidationContext(prometheus);
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(prometheus, context, results, validateAllProperties: true);
        foreach (var result in results)
        {
            yield return new ValidationResult($"{Section}:Prometheus: {result.ErrorMessage}", [.. result.MemberNames.Select(m => "Prometheus." + m)]);
        }

        if (Source != TelemetrySource.Prometheus)
        {
            yield break;
        }

        if (!Uri.TryCreate(prometheus.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult(
                $"{Section}:Prometheus:Url must be Prometheus's http(s) base URL when {Section}:Source is Prometheus, not '{prometheus.Url}'.",
                ["Prometheus.Url"]);
        }

        if (prometheus.Selector is { } selector && (selector.Contains('{', StringComparison.Ordinal) || selector.Contains('}', StringComparison.Ordinal)))
        {
            yield return new ValidationResult(
                $"{Section}:Prometheus:Selector holds label matchers without braces, such as job=\"gateway\", not '{selector}'.",
                ["Prometheus.Selector"]);
        }
    }
}
