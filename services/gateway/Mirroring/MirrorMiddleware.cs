using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Grpc;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Proxy;
using ModelPlatform.Gateway.Routing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// Copies the mirror share of the Open Inference Protocol's REST calls (POSTs: inference, not
/// metadata or readiness) that stable serves to the canary; gRPC calls are not copied (the copy and
/// its comparison speak REST, and a copy sent to a replica's gRPC port could only fail). It
/// runs before variant routing, so it sees the caller's pin (pinned requests are not copied) and,
/// after the proxy returns, which variant served. The copy is only queued once stable's answer has
/// been written to the caller, and queuing never waits: a full queue drops the copy and counts it.
/// Stable's answer is kept by teeing the response body into a bounded buffer as it streams. For a
/// model that does not mirror, this is one lookup and the next step.
/// </summary>
internal sealed class MirrorMiddleware(RequestDelegate next, MirrorRoutes routes, MirrorQueue queue, MirrorStats stats, IOptions<MirrorOptions> options)
{
    /// <summary>The in-memory threshold of the body buffer the retries use too: one buffer serves both.</summary>
    private const int BufferThreshold = 1024 * 1024;

    private static readonly string[] ContentHeaderNames = [Microsoft.Net.Http.Headers.HeaderNames.ContentType, Microsoft.Net.Http.Headers.HeaderNames.ContentEncoding, InferenceHeaders.HeaderLength];

    private readonly int _maxBodyBytes = options.Value.MaxBodyBytes;

    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        if (routes.For(VariantMetadata.ModelOf(proxy)) is not { } target ||
            !HttpMethods.IsPost(context.Request.Method) ||
            context.Request.Headers.ContainsKey(VariantHeaders.Name) ||
            InferenceGrpc.IsInferenceCall(context.Request) ||
            proxy.Route.Config.Metadata?.ContainsKey(ProxyConfigBuilder.IdempotentRoute) != true)
        {
            return next(context);
        }

        return ForwardAndMirrorAsync(context, proxy, target);
    }

    private async Task ForwardAndMirrorAsync(HttpContext context, IReverseProxyFeature proxy, MirrorTarget target)
    {
        var request = context.Request;
        if (request.ContentLength > _maxBodyBytes)
        {
            await next(context);
            if (ServedByStable(context, proxy) && target.Take())
            {
                stats.TooLarge(target);
            }

            return;
        }

        request.EnableBuffering(BufferThreshold);
        var original = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        using var tee = new ResponseTee(original, _maxBodyBytes);
        context.Features.Set<IHttpResponseBodyFeature>(tee);
        try
        {
            await next(context);
        }
        finally
        {
            context.Features.Set(original);
        }

        if (!ServedByStable(context, proxy) || !target.Take())
        {
            return;
        }

        var body = await ReadBodyAsync(request, context.RequestAborted);
        if (body is null || proxy.Route.Cluster is not { } cluster)
        {
            body?.Dispose();
            stats.TooLarge(target);
            return;
        }

        // Stable's answer is the caller's: finish it (the last chunk of a chunked one, a gRPC call's
        // trailers) before the copy is made, so that nothing of the copy comes before it.
        await context.Response.CompleteAsync();

        var (answer, answerLength) = tee.Detach();
        var response = context.Response;
        var stable = new StableAnswer(
            response.StatusCode, response.ContentType, response.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding ? encoding : null,
            response.Headers[InferenceHeaders.HeaderLength].ToString() is { Length: > 0 } length ? length : null,
            new PooledBytes(answer, answerLength), tee.Overflowed);
        var job = new MirrorJob(target, cluster, request.Method, string.Concat(request.PathBase.Value, request.Path.Value, request.QueryString.Value),
            request.Headers[MirrorHeaders.RequestId].ToString() is { Length: > 0 } id ? id : context.TraceIdentifier, ContentHeadersOf(request), body, stable);
        queue.Enqueue(job);
    }

    private static bool ServedByStable(HttpContext context, IReverseProxyFeature proxy) =>
        proxy.ProxiedDestination is { } served && VariantMetadata.VariantOf(served) == VariantNames.Stable &&
        context.Features.Get<IForwarderErrorFeature>() is null && !context.RequestAborted.IsCancellationRequested;

    /// <summary>
    /// The request body, from the buffer the proxy read it into and, when the replica answered before
    /// reading it all, from the rest of the stream; null when it is larger than a copy may be.
    /// </summary>
    private async Task<PooledBytes?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = request.Body;
        if (!body.CanSeek || request.ContentLength > _maxBodyBytes)
        {
            return null;
        }

        try
        {
            body.Position = 0;
            var (buffer, length) = await BoundedRead.ReadAsync(body, request.ContentLength ?? body.Length, _maxBodyBytes, cancellationToken);
            if (length >= 0)
            {
                return new PooledBytes(buffer, length);
            }

            ArrayPool<byte>.Shared.Return(buffer);
            return null;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or BadHttpRequestException)
        {
            return null;
        }
    }

    private static List<KeyValuePair<string, string>> ContentHeadersOf(HttpRequest request)
    {
        var headers = new List<KeyValuePair<string, string>>(ContentHeaderNames.Length);
        foreach (var name in ContentHeaderNames)
        {
            if (request.Headers[name].ToString() is { Length: > 0 } value)
            {
                headers.Add(new(name, value));
            }
        }

        return headers;
    }
}
