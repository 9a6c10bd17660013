using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ModelPlatform.Testing;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>
/// An http(s) MODEL_URI: the server downloads the file with MODEL_TOKEN, checks it against
/// MODEL_SHA256 and only then loads it and reports ready; a wrong file or a refused token ends the
/// start with the reason in the termination message.
/// </summary>
public sealed class ModelDownloadTests : IDisposable
{
    private const string Token = "fetch-token-5d1c";
    private readonly string _folder = Directory.CreateTempSubdirectory("modelplatform-download-").FullName;
    private readonly byte[] _model;
    private readonly string _digest;

    public ModelDownloadTests()
    {
        _model = File.ReadAllBytes(TestModels.WriteAddMul(_folder));
        _digest = Convert.ToHexStringLower(SHA256.HashData(_model));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string TerminationMessage => Path.Combine(_folder, "termination-message");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_file_with_the_expected_digest_is_downloaded_with_the_token_and_served()
    {
        using var store = new FakeHttpServer(request => Task.FromResult(
            request.Headers["Authorization"] == $"Bearer {Token}" ? (200, _model) : (401, Array.Empty<byte>())), "application/octet-stream");
        await using var server = Start(new Uri(store.BaseAddress, $"v1/models/blobs/sha256:{_digest}"), _digest);

        await server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60), Ct);

        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var answer = await client.PostAsJsonAsync("/v2/models/addmul/infer", V2Requests.Request(
            V2Requests.Input("a", "FP32", [1, 3], [1f, 2f, 3f]), V2Requests.Input("b", "FP32", [1, 3], [1f, 1f, 1f])), Ct);
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync(Ct));
        var request = Assert.Single(store.Requests);
        Assert.Equal($"/v1/models/blobs/sha256:{_digest}", request.Path);
        Assert.Equal($"Bearer {Token}", request.Headers["authorization"]);
        Assert.Empty(Directory.GetFiles(_folder, "*.part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_file_with_another_digest_is_not_loaded_and_the_start_fails_naming_both()
    {
        using var store = new FakeHttpServer(_ => Task.FromResult((200, _model)), "application/octet-stream");
        var expected = new string('0', 64);
        await using var server = Start(new Uri(store.BaseAddress, "model.onnx"), expected);

        Assert.Equal(3, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var message = await File.ReadAllTextAsync(TerminationMessage, Ct);
        Assert.Contains($"SHA-256 {_digest}, not {expected} (MODEL_SHA256); it was not loaded", message, StringComparison.Ordinal);
        Assert.Contains(message, server.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_folder, "model-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_refused_token_fails_the_start_at_once_saying_so()
    {
        using var store = new FakeHttpServer(_ => Task.FromResult((401, Array.Empty<byte>())), "application/octet-stream");
        await using var server = Start(new Uri(store.BaseAddress, "model.onnx"), _digest);

        Assert.Equal(3, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("answered 401 Unauthorized: the token (MODEL_TOKEN) is not accepted", await File.ReadAllTextAsync(TerminationMessage, Ct), StringComparison.Ordinal);
        Assert.Single(store.Requests);
    }

    [Fact]
    public async Task A_store_that_is_briefly_unavailable_is_tried_again()
    {
        var calls = 0;
        using var store = new FakeHttpServer(_ => Task.FromResult(Interlocked.Increment(ref calls) <= 2 ? (503, Array.Empty<byte>()) : (200, _model)), "application/octet-stream");
        await using var server = Start(new Uri(store.BaseAddress, "model.onnx"), _digest);

        await server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(3, store.Requests.Count);
        Assert.Contains("answered 503", server.Output, StringComparison.Ordinal);
    }

    private ServerProcess Start(Uri modelUri, string digest)
    {
        var port = FreePort.Next();
        return ServerProcess.Start(RepositoryPaths.SampleInferenceDll, port, new Dictionary<string, string>
        {
            ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MODEL_URI"] = modelUri.ToString(),
            ["MODEL_NAME"] = "addmul",
            ["MODEL_SHA256"] = digest,
            ["MODEL_TOKEN"] = Token,
            ["TMPDIR"] = _folder,
            ["TERMINATION_MESSAGE_PATH"] = TerminationMessage,
            ["Inference__BindAddress"] = "127.0.0.1",
            ["Inference__ModelDownloadRetryDelay"] = "00:00:00.050",
        });
    }
}
