using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Every refusal is 400 problem details naming the field, and stores nothing.</summary>
public sealed class ValidationTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> Cases => new()
    {
        { "upper-case name", """{"name": "ResNet", "stable": STABLE}""", "name" },
        { "name starting with a digit", """{"name": "1resnet", "stable": STABLE}""", "name" },
        { "name ending with a dash", """{"name": "resnet-", "stable": STABLE}""", "name" },
        { "name too long", """{"name": "a234567890123456789012345678901234567890123456789012345678", "stable": STABLE}""", "name" },
        { "no name", """{"stable": STABLE}""", "name" },
        { "no stable", """{"name": "nostable"}""", "stable" },
        { "neither model nor image", """{"name": "neither", "stable": {"replicas": 1}}""", "stable" },
        { "both model and image", """{"name": "both", "stable": {"image": "nginx:1", "model": {"format": "onnx", "uri": "%MODEL%"}}}""", "stable" },
        { "format not onnx", """{"name": "fmt", "stable": {"model": {"format": "pickle", "uri": "%MODEL%"}}}""", "stable.model.format" },
        { "no uri", """{"name": "nouri", "stable": {"model": {"format": "onnx"}}}""", "stable.model.uri" },
        { "relative uri", """{"name": "relative", "stable": {"model": {"format": "onnx", "uri": "models/a.onnx"}}}""", "stable.model.uri" },
        { "http uri", """{"name": "http", "stable": {"model": {"format": "onnx", "uri": "http://example.com/a.onnx"}}}""", "stable.model.uri" },
        { "missing file", """{"name": "missing", "stable": {"model": {"format": "onnx", "uri": "/no/such/model.onnx"}}}""", "stable.model.uri" },
        { "image on the embedded runtime", """{"name": "img", "stable": {"image": "ghcr.io/acme/model:1.0"}}""", "stable.image" },
        { "autoscaling on the embedded runtime", """{"name": "auto", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "minReplicas": 1, "maxReplicas": 3}}""", "stable.minReplicas" },
        { "invalid image reference", """{"name": "badimg", "stable": {"image": "UPPER/Case::tag"}}""", "stable.image" },
        { "negative replicas", """{"name": "neg", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "replicas": -1}}""", "stable.replicas" },
        { "too many replicas", """{"name": "many", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "replicas": 11}}""", "stable.replicas" },
        { "cpu not a quantity", """{"name": "cpu", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "resources": {"cpu": "two"}}}""", "stable.resources.cpu" },
        { "zero cpu", """{"name": "cpu0", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "resources": {"cpu": "0"}}}""", "stable.resources.cpu" },
        { "memory not a quantity", """{"name": "mem", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "resources": {"memory": "1 GB"}}}""", "stable.resources.memory" },
        { "too many gpus", """{"name": "gpu", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "resources": {"gpu": 99}}}""", "stable.resources.gpu" },
        { "memory with a space", """{"name": "mem-space", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "resources": {"memory": "1 Gi"}}}""", "stable.resources.memory" },
        { "cpu with a unit of the wrong kind", """{"name": "cpu-unit", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "resources": {"cpu": "1Qi"}}}""", "stable.resources.cpu" },
        { "env name too long", """{"name": "env-long", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "env": {"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE": "x"}}}""", "stable.env" },
        { "too many env", """{"name": "env-many", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "env": {"V0": "x", "V1": "x", "V2": "x", "V3": "x", "V4": "x", "V5": "x", "V6": "x", "V7": "x", "V8": "x", "V9": "x", "V10": "x", "V11": "x", "V12": "x", "V13": "x", "V14": "x", "V15": "x", "V16": "x", "V17": "x", "V18": "x", "V19": "x", "V20": "x", "V21": "x", "V22": "x", "V23": "x", "V24": "x", "V25": "x", "V26": "x", "V27": "x", "V28": "x", "V29": "x", "V30": "x", "V31": "x", "V32": "x", "V33": "x", "V34": "x", "V35": "x", "V36": "x", "V37": "x", "V38": "x", "V39": "x", "V40": "x", "V41": "x", "V42": "x", "V43": "x", "V44": "x", "V45": "x", "V46": "x", "V47": "x", "V48": "x", "V49": "x", "V50": "x", "V51": "x", "V52": "x", "V53": "x", "V54": "x", "V55": "x", "V56": "x", "V57": "x", "V58": "x", "V59": "x", "V60": "x", "V61": "x", "V62": "x", "V63": "x", "V64": "x", "V65": "x", "V66": "x", "V67": "x", "V68": "x", "V69": "x", "V70": "x", "V71": "x", "V72": "x", "V73": "x", "V74": "x", "V75": "x", "V76": "x", "V77": "x", "V78": "x", "V79": "x", "V80": "x", "V81": "x", "V82": "x", "V83": "x", "V84": "x", "V85": "x", "V86": "x", "V87": "x", "V88": "x", "V89": "x", "V90": "x", "V91": "x", "V92": "x", "V93": "x", "V94": "x", "V95": "x", "V96": "x", "V97": "x", "V98": "x", "V99": "x", "V100": "x", "V101": "x", "V102": "x", "V103": "x", "V104": "x", "V105": "x", "V106": "x", "V107": "x", "V108": "x", "V109": "x", "V110": "x", "V111": "x", "V112": "x", "V113": "x", "V114": "x", "V115": "x", "V116": "x", "V117": "x", "V118": "x", "V119": "x", "V120": "x", "V121": "x", "V122": "x", "V123": "x", "V124": "x", "V125": "x", "V126": "x", "V127": "x", "V128": "x"}}}""", "stable.env" },
        { "env name", """{"name": "env", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "env": {"1BAD": "x"}}}""", "stable.env.1BAD" },
        { "loader env on the embedded runtime", """{"name": "envld", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "env": {"LD_PRELOAD": "/tmp/x.so"}}}""", "stable.env.LD_PRELOAD" },
        { "startup hook env on the embedded runtime", """{"name": "envhook", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "env": {"DOTNET_STARTUP_HOOKS": "/tmp/x.dll"}}}""", "stable.env.DOTNET_STARTUP_HOOKS" },
        { "reserved env", """{"name": "envr", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "env": {"MODEL_URI": "x"}}}""", "stable.env.MODEL_URI" },
        { "reserved gRPC port env", """{"name": "envg", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "env": {"GRPC_PORT": "9000"}}}""", "stable.env.GRPC_PORT" },
        { "grpcPort on a model variant", """{"name": "grpcm", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "grpcPort": 9000}}""", "stable.grpcPort" },
        { "api key hash not hex", """{"name": "k1", "stable": STABLE, "access": {"apiKeys": [{"name": "app", "sha256": "not-a-hash"}]}}""", "access.apiKeys[0].sha256" },
        { "api key names repeated", """{"name": "k2", "stable": STABLE, "access": {"apiKeys": [{"name": "app", "sha256": "HASH"}, {"name": "app", "sha256": "HASH"}]}}""", "access.apiKeys[1].name" },
        { "api key without name", """{"name": "k3", "stable": STABLE, "access": {"apiKeys": [{"sha256": "HASH"}]}}""", "access.apiKeys[0].name" },
        { "zero requests per second", """{"name": "l1", "stable": STABLE, "limits": {"requestsPerSecond": 0}}""", "limits.requestsPerSecond" },
        { "burst below the rate", """{"name": "l2", "stable": STABLE, "limits": {"requestsPerSecond": 10, "burst": 5}}""", "limits.burst" },
        { "weight above 100", """{"name": "w", "stable": STABLE, "canary": CANARY, "traffic": {"canary": 101}}""", "traffic.canary" },
        { "weight without canary", """{"name": "w2", "stable": STABLE, "traffic": {"canary": 10}}""", "traffic.canary" },
        { "canary identical to stable", """{"name": "same", "stable": STABLE, "canary": STABLE}""", "canary" },
        { "canary differing only in replicas", """{"name": "replicas", "stable": STABLE, "canary": {"model": {"format": "onnx", "uri": "%MODEL%"}, "replicas": 3}}""", "canary" },
        { "control character in uri", """{"name": "nul", "stable": {"model": {"format": "onnx", "uri": "/models/a\u0000.onnx"}}}""", "stable.model.uri" },
        { "bad canary", """{"name": "badcanary", "stable": STABLE, "canary": {"replicas": 1}}""", "canary" },
        { "unknown top-level field", """{"name": "unknown", "stable": STABLE, "replica": 2}""", "replica" },
        { "unknown nested field", """{"name": "nested", "stable": {"model": {"format": "onnx", "uri": "%MODEL%", "sha": "x"}}}""", "stable.model.sha" },
        { "wrong type", """{"name": "type", "stable": {"model": {"format": "onnx", "uri": "%MODEL%"}, "replicas": "two"}}""", "stable.replicas" },
        { "malformed JSON", """{"name": "broken", "stable": """, "$" },
        { "not an object", """[1, 2]""", "$" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Invalid_request_is_refused_naming_the_field_and_stores_nothing(string because, string body, string field)
    {
        var json = body
            .Replace("STABLE", Variant(), StringComparison.Ordinal)
            .Replace("CANARY", Variant("""{"V": "2"}"""), StringComparison.Ordinal)
            .Replace("%MODEL%", deployer.AddMulModel, StringComparison.Ordinal)
            .Replace("HASH", new string('a', 64), StringComparison.Ordinal);
        using var content = new StringContent(json, Encoding.UTF8, "application/json");

        using var response = await deployer.Client.PostAsync("/v1/deployments", content, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, because);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await DeployerHarness.ProblemAsync(response, Ct);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"{because}: expected an error for '{field}', got {errors.ToJsonString()}");
        Assert.DoesNotContain((await deployer.Client.GetFromJsonAsync<JsonObject>("/v1/deployments", Ct))!["items"]!.AsArray(),
            item => item!["name"]!.GetValue<string>() != "rooted");
    }

    [Theory]
    [InlineData("/v1/deployments/any/logs?replica=abc", "replica")]
    [InlineData("/v1/deployments/any/logs?tail=1e400", "tail")]
    public async Task A_query_value_that_does_not_bind_is_400_naming_the_parameter(string path, string parameter)
    {
        using var response = await deployer.Client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await DeployerHarness.ProblemAsync(response, Ct);
        Assert.Contains(parameter, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_problem_details()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/deployments")
        {
            Content = new ByteArrayContent(new byte[2 * 1024 * 1024]) { Headers = { ContentType = new("application/json") } },
        };
        request.Headers.ExpectContinue = true;
        using var response = await deployer.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(413, (await DeployerHarness.ProblemAsync(response, Ct))["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_model_outside_the_model_roots_is_refused_however_it_is_reached()
    {
        var outside = Path.Combine(Path.GetDirectoryName(deployer.ModelsDirectory)!, "outside.onnx");
        File.Copy(deployer.AddMulModel, outside, overwrite: true);
        var escape = Path.Combine(deployer.ModelsDirectory, "escape.onnx");
        var inside = Path.Combine(deployer.ModelsDirectory, "alias.onnx");
        File.CreateSymbolicLink(escape, outside);
        File.CreateSymbolicLink(inside, deployer.AddMulModel);

        foreach (var uri in new[] { outside, $"{deployer.ModelsDirectory}/../outside.onnx", escape, new Uri(escape).AbsoluteUri })
        {
            using var refused = await deployer.CreateAsync("rooted", deployer.ModelVariant(uri: uri), cancellationToken: Ct);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var errors = (await DeployerHarness.ProblemAsync(refused, Ct))["errors"]!["stable.model.uri"]!.AsArray();
            Assert.Contains("outside the model roots", errors[0]!.GetValue<string>(), StringComparison.Ordinal);
        }

        using var accepted = await deployer.CreateAsync("rooted", deployer.ModelVariant(uri: inside, replicas: 0), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    [Theory]
    [InlineData("s3://bucket/model.onnx", "s3")]
    // http(s) URIs are the model store's to fetch (pinned by digest): Models/RemoteModelTests.
    [InlineData("ftp://example.com/model.onnx", "ftp")]
    public async Task A_model_uri_with_a_scheme_that_is_not_configured_is_refused_naming_the_setting(string uri, string scheme)
    {
        using var response = await deployer.CreateAsync("scheme", deployer.ModelVariant(uri: uri), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Assert.Single((await DeployerHarness.ProblemAsync(response, Ct))["errors"]!["stable.model.uri"]!.AsArray())!.GetValue<string>();
        Assert.Equal($"scheme '{scheme}' is not allowed (Deployer:ModelUriSchemes: file).", error);
    }

    [Fact]
    public async Task Name_in_the_body_must_match_the_path_on_put()
    {
        using var response = await deployer.Client.PutAsJsonAsync("/v1/deployments/one",
            new { name = "other", stable = deployer.ModelVariant() }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await DeployerHarness.ProblemAsync(response, Ct))["errors"]!.AsObject().ContainsKey("name"));
        Assert.Null(await deployer.GetAsync("one", Ct));
    }

    [Fact]
    public async Task Put_with_if_match_on_a_missing_deployment_gets_412_and_creates_nothing()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/deployments/ghost") { Content = JsonContent.Create(new { stable = deployer.ModelVariant() }) };
        request.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));

        using var response = await deployer.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Null(await deployer.GetAsync("ghost", Ct));
    }

    [Fact]
    public async Task Unknown_deployment_gets_404_problem_details()
    {
        using var response = await deployer.Client.GetAsync("/v1/deployments/nobody", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("nobody", (await DeployerHarness.ProblemAsync(response, Ct))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private string Variant(string env = "null") =>
        $$"""{"model": {"format": "onnx", "uri": "{{deployer.AddMulModel}}"}, "replicas": 1, "env": {{env}}}""";
}
