using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Tests.Routing;

public sealed class ModelPolicyTests
{
    private static readonly VariantRoute[] Variants = [new(VariantNames.Stable, 100, ["http://127.0.0.1:9001"])];

    [Fact]
    public void A_model_without_keys_is_open()
    {
        var policy = new ModelPolicy(new ModelRoute("open", Variants));

        Assert.False(policy.RequiresKey);
        Assert.Null(policy.FindKey("anything"));
    }

    [Fact]
    public void A_presented_key_is_found_by_its_hash_and_named()
    {
        var (first, second) = (BearerTokens.Generate(), BearerTokens.Generate());
        var policy = new ModelPolicy(new ModelRoute("locked", Variants,
        [
            new ApiKeySpec { Name = "team-a", Sha256 = BearerTokens.Sha256Hex(first) },
            new ApiKeySpec { Name = "team-b", Sha256 = BearerTokens.Sha256Hex(second).ToUpperInvariant() },
        ]));

        Assert.True(policy.RequiresKey);
        Assert.Equal("team-a", policy.FindKey(first));
        Assert.Equal("team-b", policy.FindKey(second));
        Assert.Null(policy.FindKey(first + "x"));
        Assert.Null(policy.FindKey(BearerTokens.Sha256Hex(first)));
    }

    [Fact]
    public void Keys_without_a_name_or_a_valid_hash_open_nothing()
    {
        var key = BearerTokens.Generate();
        var policy = new ModelPolicy(new ModelRoute("locked", Variants,
        [
            new ApiKeySpec { Name = null, Sha256 = BearerTokens.Sha256Hex(key) },
            new ApiKeySpec { Name = "short", Sha256 = "abc" },
        ]));

        Assert.Null(policy.FindKey(key));
    }

    [Fact]
    public void A_limit_without_requests_per_second_is_no_limit()
    {
        Assert.Null(new ModelPolicy(new ModelRoute("m", Variants, null, new RateLimitSpec { RequestsPerSecond = 0, Burst = 5 })).Limits);
        Assert.Null(new ModelPolicy(new ModelRoute("m", Variants)).Limits);
    }

    [Fact]
    public void A_burst_below_the_rate_is_raised_to_it()
    {
        var policy = new ModelPolicy(new ModelRoute("m", Variants, null, new RateLimitSpec { RequestsPerSecond = 10, Burst = 2 }));

        Assert.Equal(10, policy.Limits!.Burst);
        Assert.Equal(10, policy.Limits.RequestsPerSecond);
    }
}
