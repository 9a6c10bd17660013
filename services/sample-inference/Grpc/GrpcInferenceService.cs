using System.Diagnostics;
using Grpc.Core;
using ModelPlatform.SampleInference.Api;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.SampleInference.Inference;
using ModelPlatform.SampleInference.Protocol;
using ModelPlatform.SampleInference.Runtime;
using ModelPlatform.SampleInference.Telemetry;
using ModelMetadataResponse = ModelPlatform.SampleInference.Grpc.V2.ModelMetadataResponse;
using ServerMetadataResponse = ModelPlatform.SampleInference.Grpc.V2.ServerMetadataResponse;

namespace ModelPlatform.SampleInference.Grpc;

/// <summary>
/// <c>inference.GRPCInferenceService</c>: the REST endpoints' rules, checks and messages, over
/// gRPC, with errors as gRPC status codes (INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE,
/// RESOURCE_EXHAUSTED, CANCELLED).
/// </summary>
internal sealed class GrpcInferenceService(
    ModelHost host, InferenceRunner runner, InferenceAdmission admission, InferenceMetrics metrics, InferenceStatistics statistics)
    : GRPCInferenceService.GRPCInferenceServiceBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = host.IsReady });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        ThrowIfNotServed(request.Name, request.Version);
        return Task.FromResult(new ModelReadyResponse { Ready = host.IsReady });
    }

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new ServerMetadataResponse { Name = ServerApi.ServerName, Version = ServerApi.ServerVersion };
        response.Extensions.Add(ServerApi.Extensions);
        return Task.FromResult(response);
    }

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        ThrowIfNotServed(request.Name, request.Version);
        if (host.Model is not { } model)
        {
            throw GrpcStatus.Error(StatusCodes.Status503ServiceUnavailable, $"Model '{request.Name}' has no metadata yet: {host.NotReadyReason}.");
        }

        var response = new ModelMetadataResponse { Name = host.Name, Platform = ModelApi.Platform };
        response.Versions.Add(host.Version);
        response.Inputs.Add(model.Signature.Inputs.Select(Describe));
        response.Outputs.Add(model.Signature.Outputs.Select(Describe));
        return Task.FromResult(response);
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var served = host.Serves(request.ModelName);
        var status = StatusCode.Internal;
        try
        {
            var response = await InferAsync(request, context.CancellationToken);
            status = StatusCode.OK;
            return response;
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = StatusCode.Cancelled;
            throw new RpcException(new Status(StatusCode.Cancelled, "The client cancelled the call."));
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            metrics.RecordRequest(served ? request.ModelName : "(unknown)", GrpcStatus.ToHttp(status), "grpc", elapsed);
            if (served && status != StatusCode.NotFound)
            {
                if (status == StatusCode.OK)
                {
                    statistics.RecordSuccess(elapsed);
                }
                else
                {
                    statistics.RecordFailure(elapsed);
                }
            }
        }
    }

    private async Task<ModelInferResponse> InferAsync(ModelInferRequest request, CancellationToken cancellationToken)
    {
        ThrowIfNotServed(request.ModelName, request.ModelVersion);

        // While draining, requests still arriving are served: the shutdown delay exists for them.
        if (host.Model is not { } model)
        {
            throw GrpcStatus.Error(StatusCodes.Status503ServiceUnavailable, $"Model '{request.ModelName}' is not ready: {host.NotReadyReason}.");
        }

        using var activity = InferenceTelemetry.Source.StartActivity("infer");
        activity?.SetTag("model.name", request.ModelName);
        var queued = Stopwatch.GetTimestamp();
        using var turn = await admission.EnterAsync(cancellationToken)
            ?? throw GrpcStatus.Error(StatusCodes.Status429TooManyRequests, admission.BusyMessage);
        statistics.RecordQueue(Stopwatch.GetElapsedTime(queued));
        try
        {
            using var parsed = GrpcRequestReader.Read(request);
            using var result = runner.Run(model, parsed, cancellationToken);
            var writing = Stopwatch.GetTimestamp();
            var response = GrpcResponseWriter.Write(host.Name, host.Version, request, result);
            statistics.RecordComputeOutput(Stopwatch.GetElapsedTime(writing));
            return response;
        }
        catch (InferenceProtocolException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw GrpcStatus.From(ex);
        }
    }

    private void ThrowIfNotServed(string name, string version)
    {
        if (ModelLookup.NotServedMessage(host, name, version) is { } message)
        {
            throw GrpcStatus.Error(StatusCodes.Status404NotFound, message);
        }
    }

    private static ModelMetadataResponse.Types.TensorMetadata Describe(TensorSpec spec)
    {
        var metadata = new ModelMetadataResponse.Types.TensorMetadata { Name = spec.Name, Datatype = spec.Datatype };
        metadata.Shape.Add(spec.Shape);
        return metadata;
    }
}
