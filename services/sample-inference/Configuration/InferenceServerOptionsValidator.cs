using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ModelPlatform.SampleInference.Configuration;

/// <summary>Checks what data annotations cannot: that the model file exists and the name is usable in a URL.</summary>
internal sealed partial class InferenceServerOptionsValidator : IValidateOptions<InferenceServerOptions>
{
    public ValidateOptionsResult Validate(string? name, InferenceServerOptions options)
    {
        var failures = new List<string>();
        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"BindAddress '{options.BindAddress}' is not an IP address.");
        }

        if (options.GrpcPort == options.Port)
        {
            failures.Add($"GRPC_PORT {options.GrpcPort} is also the HTTP port; gRPC needs a port of its own.");
        }

        string? error = null;
        var path = string.Empty;
        if (ModelLocation.IsRemote(options.ModelUri, out _))
        {
            if (options.ModelSha256 is null)
            {
                failures.Add("MODEL_SHA256 is required with an http(s) MODEL_URI, so that the file downloaded is the file meant.");
            }
        }
        else if (!ModelLocation.TryResolvePath(options.ModelUri, out path, out error))
        {
            failures.Add(error!);
        }
        else if (!File.Exists(path))
        {
            failures.Add($"MODEL_URI: no model file at '{path}'.");
        }

        if (options.ModelSha256 is { } digest && !Sha256Hex().IsMatch(digest))
        {
            failures.Add($"MODEL_SHA256 '{digest}' must be a SHA-256 in hex: 64 digits 0-9 and a-f.");
        }

        var modelName = options.ModelName ?? (error is null ? ModelLocation.DefaultModelName(options.ModelUri, path) : null);
        if (modelName is not null && !ModelNamePattern().IsMatch(modelName))
        {
            failures.Add($"MODEL_NAME '{modelName}' must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex ModelNamePattern();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();
}
