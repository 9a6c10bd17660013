using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Inference;
using ModelPlatform.SampleInference.Protocol;
using ModelPlatform.SampleInference.Runtime;
using ModelPlatform.SampleInference.Telemetry;

namespace ModelPlatform.SampleInference.Api;

/// <summary><c>POST /v2/models/{name}/infer</c>.</summary>
internal static class InferEndpoint
{
    /// <summary>What the endpoint needs, bundled so the handler's signature stays readable.</summary>
    internal sealed record Services(
        ModelHost Host,
        InferenceRunner Runner,
        InferenceAdmission Admission,
        InferenceMetrics Metrics,
        InferenceStatistics Statistics,
        AnswerCompression Compression,
        IOptions<InferenceServerOptions> Options);

    public static async Task<Results<InferenceHttpResult, JsonHttpResult<V2Error>, StatusCodeHttpResult>> HandleAsync(
        string name, string? version, HttpContext context, Services services)
    {
        var started = Stopwatch.GetTimestamp();
        var format = "json";
        context.Response.OnCompleted(() =>
        {
            // A path's name is the client's to choose: only the served model's gets a series of its own.
            var served = services.Host.Serves(name);
            var status = context.Response.StatusCode;
            var elapsed = Stopwatch.GetElapsedTime(started);
            services.Metrics.RecordRequest(served ? name : "(unknown)", status, format, elapsed);
            if (served && status != StatusCodes.Status404NotFound)
            {
                if (status == StatusCodes.Status200OK)
                {
                    services.Statistics.RecordSuccess(elapsed);
                }
                else
                {
                    services.Statistics.RecordFailure(elapsed);
                }
            }

            return Task.CompletedTask;
        });

        if (ModelLookup.NotServed(services.Host, name, version) is { } notServed)
        {
            return notServed;
        }

        // While draining, requests still arriving are served: the shutdown delay exists for them.
        if (services.Host.Model is not { } model)
        {
            return V2Results.Error(StatusCodes.Status503ServiceUnavailable, $"Model '{name}' is not ready: {services.Host.NotReadyReason}.");
        }

        using var activity = InferenceTelemetry.Source.StartActivity("infer");
        activity?.SetTag("model.name", name);
        var cancellationToken = context.RequestAborted;
        RequestBody? body = null;
        InferenceRequest? request = null;
        IDisposable? turn = null;
        try
        {
            // Admitted before the body is read, so that a request waiting for its turn holds no buffer.
            var queued = Stopwatch.GetTimestamp();
            turn = await services.Admission.EnterAsync(cancellationToken);
            if (turn is null)
            {
                return V2Results.Error(StatusCodes.Status429TooManyRequests, services.Admission.BusyMessage);
            }

            services.Statistics.RecordQueue(Stopwatch.GetElapsedTime(queued));
            var headerLength = ReadHeaderLength(context.Request);
            if (headerLength is not null)
            {
                format = "binary";
            }

            body = await RequestBody.ReadAsync(context.Request, services.Options.Value.MaxRequestBodyBytes, cancellationToken);
            request = InferenceRequestParser.Parse(body.Memory, headerLength);
            var result = services.Runner.Run(model, request, cancellationToken);
            return new InferenceHttpResult(
                services.Host.Name, services.Host.Version, body, request, result, services.Compression, turn, services.Statistics);
        }
        catch (InferenceProtocolException ex)
        {
            Release(body, request, turn);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return V2Results.Error(ex.StatusCode, ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            Release(body, request, turn);
            return V2Results.Error(ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"The request body exceeds the limit of {services.Options.Value.MaxRequestBodyBytes} bytes."
                : $"The request body could not be read: {ex.Message}");
        }
        catch (InvalidDataException ex)
        {
            // The decompression stream found a body that is not what its Content-Encoding says.
            Release(body, request, turn);
            return V2Results.Error(StatusCodes.Status400BadRequest, $"The request body could not be decompressed: {ex.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Release(body, request, turn);
            return TypedResults.StatusCode(StatusCodes.Status499ClientClosedRequest);
        }
        catch
        {
            Release(body, request, turn);
            throw;
        }
    }

    private static long? ReadHeaderLength(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(InferenceRequestParser.HeaderLengthHeader, out var values))
        {
            return null;
        }

        return long.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : throw InferenceProtocolException.BadRequest(
                $"{InferenceRequestParser.HeaderLengthHeader} must be a non-negative integer, not '{values}'.");
    }

    private static void Release(RequestBody? body, InferenceRequest? request, IDisposable? turn)
    {
        request?.Dispose();
        body?.Dispose();
        turn?.Dispose();
    }
}
