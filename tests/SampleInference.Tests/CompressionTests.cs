using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ModelPlatform.SampleInference.Tests.Fixtures;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>
/// Compressed requests and answers, the way Triton's HTTP client sends and reads them: gzip is
/// <c>gzip.compress</c>, deflate is <c>zlib.compress</c>, and <c>Inference-Header-Content-Length</c>
/// counts the JSON header of the body as decompressed.
/// </summary>
public sealed class CompressionTests(ResNetServer server) : IClassFixture<ResNetServer>
{
    private const string Input = "Input247";
    private const string Output = "Pooling395_Output_0";
    private static readonly long[] Shape = [1, 3, 224, 224];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Encodings => ["gzip", "deflate"];

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task A_compressed_json_request_is_decompressed_and_answered_as_the_plain_one(string encoding)
    {
        var json = Encoding.UTF8.GetBytes(ImageRequest().ToJsonString());
        var plain = await ReadJsonAsync(await server.Client.PostAsync("/v2/models/resnet18/infer", Json(json), Ct));

        using var response = await server.Client.PostAsync("/v2/models/resnet18/infer", Compressed(json, encoding, "application/json"), Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(V2Requests.Floats(plain["outputs"]![0]!["data"]!), V2Requests.Floats(body!["outputs"]![0]!["data"]!));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task A_compressed_binary_request_splits_where_the_header_length_says_in_the_decompressed_body(string encoding)
    {
        var image = Image();
        var header = V2Requests.Request(V2Requests.BinaryInput(Input, "FP32", Shape, image.Length * 4));
        header["id"] = "zipped";
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var content = Compressed([.. headerBytes, .. V2Requests.Bytes(image)], encoding, "application/octet-stream");
        content.Headers.Add(V2Requests.HeaderLength, headerBytes.Length.ToString(CultureInfo.InvariantCulture));
        var plain = await ReadJsonAsync(await server.Client.PostAsJsonAsync("/v2/models/resnet18/infer", ImageRequest(), Ct));

        using var response = await server.Client.PostAsync("/v2/models/resnet18/infer", content, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("zipped", body!["id"]!.GetValue<string>());
        Assert.Equal(V2Requests.Floats(plain["outputs"]![0]!["data"]!), V2Requests.Floats(body["outputs"]![0]!["data"]!));
    }

    [Theory]
    [InlineData("compress")]
    [InlineData("gzip, gzip")]
    [InlineData("x-unknown")]
    public async Task A_body_in_an_encoding_the_server_cannot_undo_gets_415_with_a_v2_error(string encoding)
    {
        var content = Json(Encoding.UTF8.GetBytes(ImageRequest().ToJsonString()));
        Assert.True(content.Headers.TryAddWithoutValidation("Content-Encoding", encoding));

        using var response = await server.Client.PostAsync("/v2/models/resnet18/infer", content, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("gzip", V2Requests.Error(body!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_decompresses_past_the_limit_gets_413_though_it_is_small_compressed()
    {
        // Spaces compress about a thousandfold: some 10 KB on the wire, more than the 8 MiB limit decompressed.
        var bomb = new byte[ResNetServer.BodyLimit + (1024 * 1024)];
        Array.Fill(bomb, (byte)' ');
        var content = Compressed(bomb, "gzip", "application/json");
        Assert.True(content.Headers.ContentLength < 100_000);

        using var response = await server.Client.PostAsync("/v2/models/resnet18/infer", content, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains(ResNetServer.BodyLimit.ToString(CultureInfo.InvariantCulture), V2Requests.Error(body!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_what_its_encoding_says_gets_400()
    {
        var content = Json(Encoding.UTF8.GetBytes(ImageRequest().ToJsonString()));
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await server.Client.PostAsync("/v2/models/resnet18/infer", content, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("decompressed", V2Requests.Error(body!), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task A_large_json_answer_is_compressed_when_accepted_and_still_carries_its_length(string encoding)
    {
        var plain = await ReadJsonAsync(await server.Client.PostAsJsonAsync("/v2/models/resnet18/infer", ImageRequest(), Ct));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/resnet18/infer") { Content = JsonContent.Create(ImageRequest()) };
        request.Headers.AcceptEncoding.ParseAdd(encoding);
        using var response = await server.Client.SendAsync(request, Ct);
        var compressed = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([encoding], response.Content.Headers.ContentEncoding);
        Assert.Equal(compressed.Length, response.Content.Headers.ContentLength);
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        var body = JsonNode.Parse(Decompress(compressed, encoding))!;
        Assert.Equal(V2Requests.Floats(plain["outputs"]![0]!["data"]!), V2Requests.Floats(body["outputs"]![0]!["data"]!));
    }

    [Fact]
    public async Task A_compressed_binary_answer_keeps_the_header_length_of_the_decompressed_body()
    {
        var header = ImageRequest();
        header["outputs"] = new JsonArray(new JsonObject { ["name"] = Output, ["parameters"] = new JsonObject { ["binary_data"] = true } });
        using var plainResponse = await server.Client.PostAsJsonAsync("/v2/models/resnet18/infer", header, Ct);
        var (_, plainBinary) = await V2Requests.ReadBinaryAsync(plainResponse, Ct);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/resnet18/infer") { Content = JsonContent.Create(header) };
        request.Headers.AcceptEncoding.ParseAdd("deflate");
        using var response = await server.Client.SendAsync(request, Ct);
        var compressed = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["deflate"], response.Content.Headers.ContentEncoding);
        Assert.Equal(compressed.Length, response.Content.Headers.ContentLength);
        var body = Decompress(compressed, "deflate");
        var length = int.Parse(response.Headers.GetValues(V2Requests.HeaderLength).Single(), CultureInfo.InvariantCulture);
        var json = JsonNode.Parse(body.AsSpan(0, length))!;
        Assert.Equal(512 * 4, json["outputs"]![0]!["parameters"]!["binary_data_size"]!.GetValue<int>());
        Assert.Equal(plainBinary, body[length..]);
    }

    [Fact]
    public async Task An_answer_is_not_compressed_when_identity_is_all_the_client_accepts()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/resnet18/infer") { Content = JsonContent.Create(ImageRequest()) };
        request.Headers.AcceptEncoding.ParseAdd("gzip;q=0, identity");
        using var response = await server.Client.SendAsync(request, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(512, body!["outputs"]![0]!["data"]!.AsArray().Count);
    }

    private static float[] Image() => [.. Enumerable.Range(0, 3 * 224 * 224).Select(i => (i % 251) / 251f)];

    private static JsonObject ImageRequest() =>
        V2Requests.Request(V2Requests.Input(Input, "FP32", Shape, new JsonArray([.. Image().Select(v => (JsonNode)v)])));

    private static ByteArrayContent Json(byte[] json)
    {
        var content = new ByteArrayContent(json);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static ByteArrayContent Compressed(byte[] body, string encoding, string mediaType)
    {
        using var buffer = new MemoryStream();
        using (Stream compressor = encoding == "gzip"
            ? new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)
            : new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            compressor.Write(body);
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    private static byte[] Decompress(byte[] body, string encoding)
    {
        using var input = new MemoryStream(body);
        using Stream decompressor = encoding == "gzip"
            ? new GZipStream(input, CompressionMode.Decompress)
            : new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decompressor.CopyTo(output);
        return output.ToArray();
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        }
    }
}
