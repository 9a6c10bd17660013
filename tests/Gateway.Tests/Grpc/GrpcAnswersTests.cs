using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelPlatform.Gateway.Grpc;
using ModelPlatform.Gateway.Proxy;

namespace ModelPlatform.Gateway.Tests.Grpc;

public sealed class GrpcAnswersTests
{
    [Theory]
    [InlineData(400, GrpcStatusCodes.InvalidArgument)]
    [InlineData(401, GrpcStatusCodes.Unauthenticated)]
    [InlineData(404, GrpcStatusCodes.NotFound)]
    [InlineData(413, GrpcStatusCodes.ResourceExhausted)]
    [InlineData(429, GrpcStatusCodes.ResourceExhausted)]
    [InlineData(502, GrpcStatusCodes.Unavailable)]
    [InlineData(503, GrpcStatusCodes.Unavailable)]
    [InlineData(504, GrpcStatusCodes.DeadlineExceeded)]
    public async Task The_gateways_errors_reach_a_grpc_caller_as_a_trailers_only_status(int status, int code)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().AddSingleton<GatewayErrors>().BuildServiceProvider();
        using var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = services, Response = { Body = body } };
        context.Request.Protocol = "HTTP/2";
        context.Request.Method = "POST";
        context.Request.Path = "/inference.GRPCInferenceService/ModelInfer";
        context.Request.ContentType = "application/grpc";

        await services.GetRequiredService<GatewayErrors>().WriteAsync(context, status, "title", "Model 'm' has no healthy replica: 100%.");

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("application/grpc", context.Response.ContentType);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), context.Response.Headers["grpc-status"].ToString());
        Assert.Equal("Model 'm' has no healthy replica: 100%25.", context.Response.Headers["grpc-message"].ToString());
        Assert.Equal(0, body.Length);
        Assert.Equal(GrpcStatusCodes.ToHttp(code), GrpcStatusCodes.EffectiveStatus(context));
    }

    [Fact]
    public void Grpc_message_is_percent_encoded_utf8()
    {
        Assert.Equal("caf%C3%A9 %0A 100%25 ok", GrpcAnswers.PercentEncode("café \n 100% ok"));
    }

    [Fact]
    public void A_rest_answer_counts_under_its_own_status()
    {
        var context = new DefaultHttpContext();
        context.Request.Protocol = "HTTP/1.1";
        context.Response.StatusCode = 200;
        context.Response.Headers["grpc-status"] = "14";

        Assert.Equal(200, GrpcStatusCodes.EffectiveStatus(context));
    }
}
