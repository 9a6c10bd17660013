using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Models;

/// <summary><c>/v1/models</c>: uploads checked as ONNX, kept once per digest, numbered per name, listed, downloaded and deleted.</summary>
public sealed class ModelStoreApiTests(ModelStoreDeployer deployer) : IClassFixture<ModelStoreDeployer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private byte[] AddMul => File.ReadAllBytes(deployer.AddMulModel);

    [Fact]
    public async Task An_onnx_upload_is_201_with_its_version_digest_size_uri_inputs_and_outputs()
    {
        using var response = await deployer.UploadAsync("upload-addmul", AddMul, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var version = (await response.Content.ReadFromJsonAsync<ModelVersion>(DeployerHarness.Json, Ct))!;
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(AddMul));
        Assert.Equal(("upload-addmul", 1, digest, (long)AddMul.Length), (version.Name, version.Version, version.Digest, version.Size));
        Assert.Equal($"models:/upload-addmul@{digest}", version.Uri);
        Assert.Equal("/v1/models/upload-addmul/versions/1", response.Headers.Location?.OriginalString);
        Assert.Equal(["a:FP32[-1,3]", "b:FP32[-1,3]"], version.Inputs.Select(Describe));
        Assert.Equal(["sum:FP32[-1,3]", "product:FP32[-1,3]"], version.Outputs.Select(Describe));

        var read = await deployer.Client.GetFromJsonAsync<ModelVersion>("/v1/models/upload-addmul/versions/1", DeployerHarness.Json, Ct);
        Assert.Equal(version.Digest, read!.Digest);
        Assert.Equal(version.Inputs.Select(Describe), read.Inputs.Select(Describe));
    }

    [Fact]
    public async Task The_same_bytes_twice_are_200_with_the_same_version_and_are_stored_once_even_under_another_name()
    {
        var bytes = UniqueModel("dedup");
        var first = await deployer.UploadVersionAsync("dedup", bytes, Ct);

        using var again = await deployer.UploadAsync("dedup", bytes, Ct);
        var other = await deployer.UploadVersionAsync("dedup-other", bytes, Ct);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.Version, (await again.Content.ReadFromJsonAsync<ModelVersion>(DeployerHarness.Json, Ct))!.Version);
        Assert.Equal((1, first.Digest), (other.Version, other.Digest));
        Assert.Single(deployer.StoredFiles, file => Path.GetFileName(file) == first.Digest["sha256:".Length..]);
        var versions = await deployer.Client.GetFromJsonAsync<ModelVersions>("/v1/models/dedup", DeployerHarness.Json, Ct);
        Assert.Single(versions!.Versions);
    }

    [Fact]
    public async Task New_bytes_under_a_name_are_its_next_version_and_the_list_shows_the_newest()
    {
        var one = await deployer.UploadVersionAsync("versions", UniqueModel("versions-1"), Ct);
        var two = await deployer.UploadVersionAsync("versions", UniqueModel("versions-2"), Ct);

        var list = await deployer.Client.GetFromJsonAsync<JsonArray>("/v1/models", Ct);
        var item = list!.Single(node => node!["name"]!.GetValue<string>() == "versions")!;
        var all = await deployer.Client.GetFromJsonAsync<ModelVersions>("/v1/models/versions", DeployerHarness.Json, Ct);

        Assert.Equal((1, 2), (one.Version, two.Version));
        Assert.Equal(2, item["latestVersion"]!.GetValue<int>());
        Assert.Equal(2, item["versions"]!.GetValue<int>());
        Assert.Equal(two.Digest, item["latest"]!["digest"]!.GetValue<string>());
        Assert.Equal([1, 2], all!.Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task A_file_that_is_not_onnx_is_400_naming_body_and_leaves_nothing()
    {
        var before = deployer.StoredFiles.Length;

        using var text = await deployer.UploadAsync("not-onnx", "this is not a model"u8.ToArray(), Ct);
        using var empty = await deployer.UploadAsync("not-onnx", [], Ct);

        foreach (var response in new[] { text, empty })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var reason = (await DeployerHarness.ProblemAsync(response, Ct))["errors"]!["body"]![0]!.GetValue<string>();
            Assert.Contains("ONNX", reason, StringComparison.Ordinal);
        }

        Assert.Equal(before, deployer.StoredFiles.Length);
        Assert.Empty(deployer.IncomingFiles);
        using var missing = await deployer.Client.GetAsync("/v1/models/not-onnx", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_body_sent_as_another_media_type_is_415_naming_body()
    {
        using var content = new ByteArrayContent(AddMul);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await deployer.UploadAsync("wrong-type", content, Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.NotNull((await DeployerHarness.ProblemAsync(response, Ct))["errors"]!["body"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_file_over_the_size_limit_is_413_whether_its_length_is_announced_or_not(bool announced)
    {
        var bytes = new byte[ModelStoreDeployer.MaxModelSize * 2];
        using HttpContent content = announced ? new ByteArrayContent(bytes) : new StreamContent(new UnknownLengthStream(bytes));

        using var response = await deployer.UploadAsync(announced ? "too-large-known" : "too-large-chunked", content, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("body", (await DeployerHarness.ProblemAsync(response, Ct))["errors"]!.AsObject().Select(pair => pair.Key));
        Assert.Empty(deployer.IncomingFiles);
    }

    [Fact]
    public async Task An_upload_cut_off_midway_leaves_no_file_and_no_version()
    {
        var release = new TaskCompletionSource();
        using var content = new StreamContent(new FailingStream(new byte[16 * 1024], release.Task));

        var upload = deployer.UploadAsync("interrupted", content, Ct);
        await WaitUntilAsync(() => deployer.IncomingFiles.Length > 0, "the upload to reach the store");
        release.SetResult();

        await Assert.ThrowsAnyAsync<Exception>(async () => (await upload).Dispose());
        await WaitUntilAsync(() => deployer.IncomingFiles.Length == 0, "the partial file to be deleted");
        using var missing = await deployer.Client.GetAsync("/v1/models/interrupted", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("1starts-with-a-digit")]
    [InlineData("")]
    public async Task A_name_that_is_not_a_dns_label_is_400_naming_name(string name)
    {
        using var response = await deployer.UploadAsync(name, AddMul, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await DeployerHarness.ProblemAsync(response, Ct))["errors"]!["name"]);
    }

    [Fact]
    public async Task Readers_list_and_download_but_only_deployers_upload()
    {
        await deployer.UploadVersionAsync("roles-model", AddMul, Ct);

        using var asReader = await deployer.UploadAsync("roles-model", AddMul, Ct, DeployerHarness.Tokens["reader"]);
        using var asDeployer = await deployer.UploadAsync("roles-model", AddMul, Ct, DeployerHarness.Tokens["deployer"]);
        using var reader = new HttpClient { BaseAddress = deployer.BaseAddress };
        reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DeployerHarness.Tokens["reader"]);
        using var list = await reader.GetAsync("/v1/models", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, asReader.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asDeployer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task A_stored_file_downloads_by_digest_and_an_unknown_digest_is_404()
    {
        var bytes = UniqueModel("download");
        var version = await deployer.UploadVersionAsync("download", bytes, Ct);

        var downloaded = await deployer.Client.GetByteArrayAsync($"/v1/models/blobs/{version.Digest}", Ct);
        using var unknown = await deployer.Client.GetAsync($"/v1/models/blobs/sha256:{new string('0', 64)}", Ct);
        using var anonymous = new HttpClient { BaseAddress = deployer.BaseAddress };
        using var unauthenticated = await anonymous.GetAsync($"/v1/models/blobs/{version.Digest}", Ct);

        Assert.Equal(bytes, downloaded);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Fact]
    public async Task Deleting_an_unused_version_removes_it_and_its_file_and_numbers_are_not_reused()
    {
        var first = await deployer.UploadVersionAsync("delete-me", UniqueModel("delete-1"), Ct);

        using var deleted = await deployer.Client.DeleteAsync("/v1/models/delete-me/versions/1", Ct);
        using var again = await deployer.Client.DeleteAsync("/v1/models/delete-me/versions/1", Ct);
        var next = await deployer.UploadVersionAsync("delete-me", UniqueModel("delete-2"), Ct);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.DoesNotContain(deployer.StoredFiles, file => Path.GetFileName(file) == first.Digest["sha256:".Length..]);
        Assert.Equal(2, next.Version);
    }

    private static string Describe(ModelTensor tensor) => $"{tensor.Name}:{tensor.Datatype}[{string.Join(',', tensor.Shape)}]";

    /// <summary>A valid model whose bytes differ by its graph's name, so tests do not share digests.</summary>
    internal static byte[] UniqueModel(string graphName) =>
        new ModelPlatform.Testing.Onnx.OnnxGraph(graphName)
            .Input("x", ModelPlatform.Testing.Onnx.OnnxType.Float, "batch", 2)
            .Output("y", ModelPlatform.Testing.Onnx.OnnxType.Float, "batch", 2)
            .Node("Identity", ["x"], ["y"])
            .ToModel();

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>A stream that does not say its length, so the client sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    /// <summary>Sends its bytes, then waits for <paramref name="release"/> and fails: a client that dies mid-upload.</summary>
    private sealed class FailingStream(byte[] bytes, Task release) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < bytes.Length)
            {
                var count = Math.Min(buffer.Length, bytes.Length - _position);
                bytes.AsMemory(_position, count).CopyTo(buffer);
                _position += count;
                return count;
            }

            await release.WaitAsync(cancellationToken);
            throw new IOException("The client went away mid-upload.");
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
