using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ModelPlatform.SampleInference.Inference;
using ModelPlatform.SampleInference.Protocol;
using ModelPlatform.SampleInference.Telemetry;

namespace ModelPlatform.SampleInference.Api;

/// <summary>
/// Writes an inference response, JSON or (when any output is asked for in binary) a JSON header
/// followed by the binary outputs, compressed when the client accepts it and the answer is large
/// (<see cref="AnswerCompression"/>), and then releases the request's buffer, the native outputs and
/// the request's turn (<see cref="InferenceAdmission"/>): the outputs are memory too.
/// </summary>
internal sealed class InferenceHttpResult(
    string modelName,
    string modelVersion,
    RequestBody body,
    InferenceRequest request,
    InferenceResult result,
    AnswerCompression compression,
    IDisposable turn,
    InferenceStatistics statistics)
    : IResult, IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var writing = Stopwatch.GetTimestamp();
        try
        {
            var response = httpContext.Response;
            var cancellationToken = httpContext.RequestAborted;
            var binary = result.Outputs.Any(output => output.Binary);
            if (!binary)
            {
                // Buffered with its length rather than streamed in chunks: headers and body then leave
                // in one write, so a replica that dies mid-answer is a connection a proxy can retry,
                // never a half-sent response (chunked, the last chunk went out in a second write).
                var json = new ArrayBufferWriter<byte>(4096);
                WriteHeader(json, null);
                response.ContentType = "application/json";
                if (compression.Choose(httpContext, json.WrittenCount) is { } provider)
                {
                    using var compressed = AnswerCompression.Begin(provider, json.WrittenCount);
                    compressed.Stream.Write(json.WrittenSpan);
                    await compressed.SendAsync(response, cancellationToken);
                    return;
                }

                response.ContentLength = json.WrittenCount;
                response.BodyWriter.Write(json.WrittenSpan);
                await response.BodyWriter.FlushAsync(cancellationToken);
                return;
            }

            var strings = new byte[]?[result.Outputs.Count];
            var sizes = new long[result.Outputs.Count];
            for (var i = 0; i < sizes.Length; i++)
            {
                var output = result.Outputs[i];
                sizes[i] = output.Binary ? TensorEncoder.BinarySize(output.Value, output.ElementType, ref strings[i]) : -1;
            }

            var header = new ArrayBufferWriter<byte>(1024);
            WriteHeader(header, sizes);
            response.ContentType = "application/octet-stream";
            // The header's length in the answer as decompressed: that is what clients split.
            response.Headers[InferenceRequestParser.HeaderLengthHeader] = header.WrittenCount.ToString(CultureInfo.InvariantCulture);
            var length = header.WrittenCount + sizes.Where(size => size > 0).Sum();
            if (compression.Choose(httpContext, length) is { } binaryProvider)
            {
                using var compressed = AnswerCompression.Begin(binaryProvider, length);
                compressed.Stream.Write(header.WrittenSpan);
                WriteBinaryOutputs(compressed.Stream, strings);
                await compressed.SendAsync(response, cancellationToken);
                return;
            }

            response.ContentLength = length;
            response.BodyWriter.Write(header.WrittenSpan);
            for (var i = 0; i < sizes.Length; i++)
            {
                var output = result.Outputs[i];
                if (output.Binary)
                {
                    response.BodyWriter.Write(TensorEncoder.BinaryView(output.Value, output.ElementType, ref strings[i]));
                }
            }

            await response.BodyWriter.FlushAsync(cancellationToken);
        }
        finally
        {
            statistics.RecordComputeOutput(Stopwatch.GetElapsedTime(writing));
            Dispose();
        }
    }

    private void WriteBinaryOutputs(Stream destination, byte[]?[] strings)
    {
        for (var i = 0; i < strings.Length; i++)
        {
            var output = result.Outputs[i];
            if (output.Binary)
            {
                destination.Write(TensorEncoder.BinaryView(output.Value, output.ElementType, ref strings[i]));
            }
        }
    }

    /// <summary>Writes the JSON part; <paramref name="binarySizes"/> gives each binary output's size, -1 for JSON.</summary>
    private void WriteHeader(IBufferWriter<byte> destination, long[]? binarySizes)
    {
        using var writer = new Utf8JsonWriter(destination, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("model_name", modelName);
        writer.WriteString("model_version", modelVersion);
        writer.WriteString("id", request.Id);

        WriteParameters(writer);
        writer.WriteStartArray("outputs");
        for (var i = 0; i < result.Outputs.Count; i++)
        {
            var output = result.Outputs[i];
            writer.WriteStartObject();
            writer.WriteString("name", output.Name);
            writer.WriteString("datatype", V2Datatype.FromElementType(output.ElementType));
            writer.WriteStartArray("shape");
            foreach (var dimension in output.Shape)
            {
                writer.WriteNumberValue(dimension);
            }

            writer.WriteEndArray();
            if (binarySizes is not null && binarySizes[i] >= 0)
            {
                writer.WriteStartObject("parameters");
                writer.WriteNumber(InferenceRequestParser.BinaryDataSize, binarySizes[i]);
                writer.WriteEndObject();
            }
            else
            {
                writer.WritePropertyName("data");
                TensorEncoder.WriteJson(writer, output.Value, output.ElementType);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    // Request parameters pass through to the response, except the binary extension's own switch.
    private void WriteParameters(Utf8JsonWriter writer)
    {
        if (request.Parameters is not { } parameters)
        {
            return;
        }

        var passed = parameters.EnumerateObject()
            .Where(property => property.Name != InferenceRequestParser.BinaryDataOutput)
            .ToList();
        if (passed.Count == 0)
        {
            return;
        }

        writer.WriteStartObject("parameters");
        foreach (var property in passed)
        {
            property.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    public void Dispose()
    {
        result.Dispose();
        request.Dispose();
        body.Dispose();
        turn.Dispose();
    }
}
