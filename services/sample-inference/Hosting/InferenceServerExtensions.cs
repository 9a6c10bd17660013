using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Api;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Grpc;
using ModelPlatform.SampleInference.Inference;
using ModelPlatform.SampleInference.Lifecycle;
using ModelPlatform.SampleInference.Runtime;
using ModelPlatform.SampleInference.Telemetry;
using ModelPlatform.ServiceDefaults;

namespace ModelPlatform.SampleInference.Hosting;

/// <summary>Wiring of the reference model server.</summary>
internal static class InferenceServerExtensions
{
    public static WebApplicationBuilder AddInferenceServer(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddInMemoryCollection(ContractEnvironment.Read(Environment.GetEnvironmentVariable));
        // First, so that the model's session is created while the rest of the host is built.
        builder.Services.AddSingleton(ModelPreload.Start(builder.Configuration));
        builder.AddServiceDefaults(meters: [InferenceTelemetry.Name], activitySources: [InferenceTelemetry.Name]);

        var services = builder.Services;
        services.AddOptions<InferenceServerOptions>()
            .BindConfiguration(InferenceServerOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<InferenceServerOptions>, InferenceServerOptionsValidator>();

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<InferenceServerOptions>, IConfiguration>((kestrel, inference, configuration) =>
        {
            if (ListenAddress.FollowsInferenceSettings(configuration))
            {
                var address = IPAddress.Parse(inference.Value.BindAddress);
                kestrel.Listen(address, inference.Value.Port);
                if (inference.Value.GrpcPort != 0)
                {
                    // HTTP/2 alone: without TLS there is no negotiation, so a port is one protocol or the other.
                    kestrel.Listen(address, inference.Value.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
                }
            }

            kestrel.Limits.MaxRequestBodySize = inference.Value.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = inference.Value.MaxRequestHeadersTotalBytes;
            kestrel.Limits.MaxRequestHeaderCount = inference.Value.MaxRequestHeaderCount;
            kestrel.AddServerHeader = false;
        });
        services.AddOptions<HostOptions>().Configure<IOptions<InferenceServerOptions>>((host, inference) =>
            host.ShutdownTimeout = inference.Value.ShutdownDelay + inference.Value.DrainTimeout);

        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<InferenceServerOptions>>().Value;
            ModelLocation.TryResolvePath(options.ModelUri, out var path, out _);
            return new ModelHost(options.ModelName ?? ModelLocation.DefaultModelName(options.ModelUri, path), options.ModelVersion);
        });
        // Compressed requests are decompressed by ASP.NET Core's middleware; answers are compressed by
        // AnswerCompression, which uses the response compression provider to choose, not its middleware.
        services.AddRequestDecompression();
        services.AddResponseCompression(compression =>
        {
            compression.Providers.Add<GzipCompressionProvider>();
            compression.Providers.Add<DeflateCompressionProvider>();
        });
        services.AddSingleton<AnswerCompression>();
        services.AddSingleton<InferenceRunner>();
        services.AddSingleton<InferenceAdmission>();
        services.AddSingleton<InferenceStatistics>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddGrpc();
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<InferenceServerOptions>>((grpc, inference) =>
            grpc.MaxReceiveMessageSize = (int)Math.Min(inference.Value.MaxRequestBodyBytes, int.MaxValue));
        services.AddSingleton<InferenceMetrics>();
        // No client timeout: a large model takes long, and Inference:ModelDownloadTimeout bounds the whole download.
        services.AddHttpClient(ModelDownload.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton<ModelDownload>();
        services.AddHostedService<ModelLoader>();
        services.AddHostedService<ShutdownDrain>();
        services.AddHealthChecks().AddCheck<ModelReadyHealthCheck>("model", tags: [ServiceDefaultsExtensions.ReadyTag]);
        services.ConfigureHttpJsonOptions(json =>
        {
            // The Open Inference Protocol names fields in snake_case; messages keep their quotes readable.
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, V2JsonContext.Default);
        });

        return builder;
    }

    public static WebApplication MapInferenceProtocol(this WebApplication app)
    {
        // V2 clients read {"error": "..."}; an unexpected failure answers in that shape too, never with a stack trace.
        app.UseExceptionHandler(handler => handler.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("""{"error":"Internal server error."}""", context.RequestAborted);
        }));

        app.UseStatusCodePages(V2StatusCodePages.WriteAsync);
        // The gate first: it refuses what the decompression would pass on still compressed.
        app.UseMiddleware<RequestEncodingGate>();
        app.UseRequestDecompression();

        app.MapServerApi();
        app.MapModelApi();
        app.MapExtensionApi();
        app.MapGrpcService<GrpcInferenceService>();
        return app;
    }
}
