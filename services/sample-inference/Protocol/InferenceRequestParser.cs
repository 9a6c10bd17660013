using System.Buffers;
using System.Text.Json;

namespace ModelPlatform.SampleInference.Protocol;

/// <summary>
/// Reads a V2 inference request: a JSON document, optionally followed by binary tensor data
/// (the binary tensor data extension), split where <c>Inference-Header-Content-Length</c> says.
/// Checks the request's own consistency; checks against the model come later.
/// </summary>
internal static class InferenceRequestParser
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";
    public const string BinaryDataSize = "binary_data_size";
    public const string BinaryData = "binary_data";
    public const string BinaryDataOutput = "binary_data_output";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static InferenceRequest Parse(ReadOnlyMemory<byte> body, long? headerLength)
    {
        var json = body;
        var binary = ReadOnlyMemory<byte>.Empty;
        if (headerLength is { } length)
        {
            if (length <= 0 || length > body.Length)
            {
                throw InferenceProtocolException.BadRequest(
                    $"{HeaderLengthHeader} is {length}, but the body has {body.Length} bytes.");
            }

            json = body[..(int)length];
            binary = body[(int)length..];
        }

        var document = ParseDocument(json, out var rewritten);
        try
        {
            return Read(document, binary, rewritten);
        }
        catch
        {
            document.Dispose();
            if (rewritten is not null)
            {
                ArrayPool<byte>.Shared.Return(rewritten);
            }

            throw;
        }
    }

    /// <summary>
    /// Parses the JSON part. Only when that fails does it look for bare <c>NaN</c> and
    /// <c>Infinity</c> words and parse again with them quoted (<paramref name="rewritten"/> then holds
    /// the text the document points into).
    /// </summary>
    private static JsonDocument ParseDocument(ReadOnlyMemory<byte> json, out byte[]? rewritten)
    {
        rewritten = null;
        try
        {
            return JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            rewritten = NonFiniteLiterals.Quote(json.Span, out var length);
            if (rewritten is null)
            {
                throw Malformed(ex);
            }

            try
            {
                return JsonDocument.Parse(rewritten.AsMemory(0, length), DocumentOptions);
            }
            catch (JsonException again)
            {
                ArrayPool<byte>.Shared.Return(rewritten);
                rewritten = null;
                throw Malformed(again);
            }
        }
    }

    private static InferenceProtocolException Malformed(JsonException ex) =>
        InferenceProtocolException.BadRequest($"Malformed JSON in the request: {ex.Message}");

    private static InferenceRequest Read(JsonDocument document, ReadOnlyMemory<byte> binary, byte[]? rewritten)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw InferenceProtocolException.BadRequest("The request must be a JSON object with an 'inputs' array.");
        }

        string? id = null;
        if (root.TryGetProperty("id", out var idElement))
        {
            id = idElement.ValueKind == JsonValueKind.String
                ? idElement.GetString()
                : throw InferenceProtocolException.BadRequest("'id' must be a string.");
        }

        var parameters = OptionalObject(root, "parameters", "'parameters'");
        var binaryOutputs = parameters is { } p && OptionalBool(p, BinaryDataOutput, $"'parameters.{BinaryDataOutput}'");

        if (!root.TryGetProperty("inputs", out var inputsElement) || inputsElement.ValueKind != JsonValueKind.Array)
        {
            throw InferenceProtocolException.BadRequest("The request must have an 'inputs' array.");
        }

        var inputs = new List<RequestInput>(inputsElement.GetArrayLength());
        var offset = 0;
        foreach (var element in inputsElement.EnumerateArray())
        {
            inputs.Add(ReadInput(element, inputs.Count, binary, ref offset));
        }

        if (inputs.Count == 0)
        {
            throw InferenceProtocolException.BadRequest("'inputs' must not be empty.");
        }

        if (offset != binary.Length)
        {
            throw InferenceProtocolException.BadRequest(
                $"{binary.Length} bytes of binary data follow the JSON header, but the inputs' {BinaryDataSize} add up to {offset}.");
        }

        List<RequestedOutput>? outputs = null;
        if (root.TryGetProperty("outputs", out var outputsElement))
        {
            if (outputsElement.ValueKind != JsonValueKind.Array)
            {
                throw InferenceProtocolException.BadRequest("'outputs' must be an array.");
            }

            outputs = [.. outputsElement.EnumerateArray().Select((element, index) => ReadOutput(element, index, binaryOutputs))];
        }

        return new InferenceRequest(document, rewritten, id ?? string.Empty, parameters, inputs, outputs, binaryOutputs);
    }

    private static RequestInput ReadInput(JsonElement element, int index, ReadOnlyMemory<byte> binary, ref int offset)
    {
        var where = $"inputs[{index}]";
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw InferenceProtocolException.BadRequest($"{where} must be an object.");
        }

        var name = RequiredString(element, "name", where);
        where = $"input '{name}'";
        var datatype = RequiredString(element, "datatype", where);
        if (!V2Datatype.TryParse(datatype, out _))
        {
            throw InferenceProtocolException.BadRequest(
                $"{where}: datatype '{datatype}' is not one of {string.Join(", ", V2Datatype.All)}.");
        }

        var shape = ReadShape(element, where);
        var parameters = OptionalObject(element, "parameters", $"{where}: 'parameters'");
        var hasData = element.TryGetProperty("data", out var data);

        if (parameters is { } p && p.TryGetProperty(BinaryDataSize, out var sizeElement))
        {
            if (!sizeElement.TryGetInt64(out var size) || size < 0)
            {
                throw InferenceProtocolException.BadRequest($"{where}: '{BinaryDataSize}' must be a non-negative integer.");
            }

            if (hasData)
            {
                throw InferenceProtocolException.BadRequest($"{where} has both 'data' and '{BinaryDataSize}'; send one.");
            }

            if (size > binary.Length - offset)
            {
                throw InferenceProtocolException.BadRequest(
                    $"{where}: '{BinaryDataSize}' is {size} bytes, but only {binary.Length - offset} bytes of binary data remain.");
            }

            var slice = binary.Slice(offset, (int)size);
            offset += (int)size;
            return new RequestInput(name, datatype, shape, null, slice);
        }

        if (!hasData)
        {
            throw InferenceProtocolException.BadRequest($"{where} has no 'data' (and no '{BinaryDataSize}' parameter).");
        }

        return new RequestInput(name, datatype, shape, data, null);
    }

    private static RequestedOutput ReadOutput(JsonElement element, int index, bool binaryByDefault)
    {
        var where = $"outputs[{index}]";
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw InferenceProtocolException.BadRequest($"{where} must be an object.");
        }

        var name = RequiredString(element, "name", where);
        var binary = binaryByDefault;
        if (OptionalObject(element, "parameters", $"output '{name}': 'parameters'") is { } parameters)
        {
            if (parameters.TryGetProperty("classification", out _))
            {
                throw InferenceProtocolException.BadRequest($"output '{name}': the classification extension is not supported.");
            }

            if (parameters.TryGetProperty(BinaryData, out _))
            {
                binary = OptionalBool(parameters, BinaryData, $"output '{name}': '{BinaryData}'");
            }
        }

        return new RequestedOutput(name, binary);
    }

    private static long[] ReadShape(JsonElement element, string where)
    {
        if (!element.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw InferenceProtocolException.BadRequest($"{where}: 'shape' must be an array of non-negative integers.");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out var value) || value < 0)
            {
                throw InferenceProtocolException.BadRequest(
                    $"{where}: 'shape' must be an array of non-negative integers; element {i} is {dimension.GetRawText()}.");
            }

            shape[i++] = value;
        }

        return shape;
    }

    private static string RequiredString(JsonElement element, string property, string where) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw InferenceProtocolException.BadRequest($"{where}: '{property}' must be a non-empty string.");

    private static JsonElement? OptionalObject(JsonElement element, string property, string what)
    {
        if (!element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object
            ? value
            : throw InferenceProtocolException.BadRequest($"{what} must be an object.");
    }

    private static bool OptionalBool(JsonElement element, string property, string what)
    {
        if (!element.TryGetProperty(property, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw InferenceProtocolException.BadRequest($"{what} must be true or false."),
        };
    }
}
