using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;
using Polly;
using Polly.Retry;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Downloads an <c>http(s)</c> <c>MODEL_URI</c> to a temporary file before the model is loaded
/// (streamed, with <c>MODEL_TOKEN</c> as bearer token), hashing it on the way: a file whose SHA-256 is
/// not <c>MODEL_SHA256</c> is deleted and refused. Failures that may pass (no connection yet, 5xx,
/// 408, 429) are tried again with backoff; a refusal (401, 403, 404) or a wrong digest is not.
/// </summary>
internal sealed partial class ModelDownload(IHttpClientFactory clients, IOptions<InferenceServerOptions> options, ILogger<ModelDownload> logger)
{
    public const string ClientName = "model-download";
    private const int BufferSize = 128 * 1024;

    /// <summary>The path of the downloaded, checked file.</summary>
    public async Task<string> DownloadAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var settings = options.Value;
        var expected = settings.ModelSha256!.ToLowerInvariant();
        // Named by process too: servers sharing a temporary folder (tests, a host) must not write one file.
        var target = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"model-{Environment.ProcessId}-{expected}.onnx"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ModelDownloadTimeout);
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<IOException>().Handle<TransientDownloadException>(),
                MaxRetryAttempts = Math.Max(1, settings.ModelDownloadRetries),
                Delay = settings.ModelDownloadRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = retry =>
                {
                    LogRetry(logger, url, retry.AttemptNumber + 1, retry.RetryDelay.TotalMilliseconds, retry.Outcome.Exception?.Message ?? "no answer");
                    return default;
                },
            })
            .Build();
        var attempts = settings.ModelDownloadRetries == 0 ? ResiliencePipeline.Empty : pipeline;
        try
        {
            var size = await attempts.ExecuteAsync(token => AttemptAsync(url, target, expected, token), timeout.Token);
            LogDownloaded(logger, url, size, target);
            return target;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ModelDownloadException($"MODEL_URI {url} could not be downloaded within {settings.ModelDownloadTimeout} (Inference:ModelDownloadTimeout).");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TransientDownloadException)
        {
            throw new ModelDownloadException($"MODEL_URI {url} could not be downloaded after {settings.ModelDownloadRetries + 1} attempt(s): {ex.Message}", ex);
        }
    }

    private async ValueTask<long> AttemptAsync(Uri url, string target, string expected, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (options.Value.ModelToken is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            var answer = string.Create(CultureInfo.InvariantCulture, $"{status} {response.ReasonPhrase}");
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new ModelDownloadException(
                    $"MODEL_URI {url} answered {answer}: the token (MODEL_TOKEN) is {(request.Headers.Authorization is null ? "missing" : "not accepted")}."),
                HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError => new TransientDownloadException($"MODEL_URI {url} answered {answer}."),
                _ => new ModelDownloadException($"MODEL_URI {url} answered {answer}."),
            };
        }

        var partial = target + ".part";
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
            {
                var buffer = new byte[BufferSize];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    size += read;
                }
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expected)
            {
                throw new ModelDownloadException(
                    $"MODEL_URI {url} served a file with SHA-256 {actual}, not {expected} (MODEL_SHA256); it was not loaded.");
            }

            File.Move(partial, target, overwrite: true);
            return size;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Downloading the model from {Url} failed; attempt {Attempt} in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, Uri url, int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloaded the model from {Url} ({Bytes} bytes, digest checked) to {Path}")]
    private static partial void LogDownloaded(ILogger logger, Uri url, long bytes, string path);
}

/// <summary>Why a model could not be downloaded, in words for the log and the termination message.</summary>
internal sealed class ModelDownloadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An answer worth trying again (5xx, 408, 429).</summary>
internal sealed class TransientDownloadException(string message) : Exception(message);
