using System.Net.Http.Headers;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Models;

/// <summary>A deployer whose model store takes files of at most <see cref="MaxModelSize"/> bytes.</summary>
public sealed class ModelStoreDeployer : DeployerHarness, IAsyncLifetime
{
    public const int MaxModelSize = 64 * 1024;

    public string StoreFolder => Path.Combine(DataDirectory, "models");

    public string[] StoredFiles => Directory.GetFiles(Path.Combine(StoreFolder, "blobs", "sha256"));

    public string[] IncomingFiles => Directory.GetFiles(Path.Combine(StoreFolder, "incoming"));

    protected override Dictionary<string, string> Settings() => new() { ["Deployer__Models__MaxModelSize"] = MaxModelSize.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public Task<HttpResponseMessage> UploadAsync(string name, byte[] bytes, CancellationToken cancellationToken, string? token = null) =>
        UploadAsync(name, new ByteArrayContent(bytes), cancellationToken, token);

    public async Task<HttpResponseMessage> UploadAsync(string name, HttpContent content, CancellationToken cancellationToken, string? token = null)
    {
        content.Headers.ContentType ??= new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models?name={Uri.EscapeDataString(name)}") { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Client.SendAsync(request, cancellationToken);
    }

    /// <summary>Uploads and returns the stored version, failing the test unless the upload succeeded.</summary>
    public async Task<ModelVersion> UploadVersionAsync(string name, byte[] bytes, CancellationToken cancellationToken)
    {
        using var response = await UploadAsync(name, bytes, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        return (await response.Content.ReadFromJsonAsync<ModelVersion>(Json, cancellationToken))!;
    }
}
