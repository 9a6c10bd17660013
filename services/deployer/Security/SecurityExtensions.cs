using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Security;

/// <summary>Tokens, roles and per-client rate limits of the API.</summary>
internal static class SecurityExtensions
{
    public static IServiceCollection AddDeployerSecurity(this IServiceCollection services)
    {
        services.AddSingleton<ModelFetchToken>();
        services.AddSingleton<TokenRegistry>();
        services.AddSingleton<FailedAuthLimiter>();
        services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, configureOptions: null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var policy in new[] { Policies.Read, Policies.Deploy, Policies.Operate, Policies.Report, Policies.FetchModel })
        {
            authorization.AddPolicy(policy, builder => builder.RequireRole(Policies.RolesFor(policy)));
        }

        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // Probes, scrapes and the API description are not the API's clients.
                if (!context.Request.Path.StartsWithSegments("/v1"))
                {
                    return RateLimitPartition.GetNoLimiter(string.Empty);
                }

                var client = context.User.Identity?.IsAuthenticated == true
                    ? "token:" + context.User.Identity.Name
                    : "address:" + context.Connection.RemoteIpAddress;
                // The options are read only when a client's bucket is first made, not on every request.
                var services = context.RequestServices;
                return RateLimitPartition.GetTokenBucketLimiter(client, _ =>
                {
                    var options = services.GetRequiredService<IOptions<DeployerOptions>>().Value.RateLimit;
                    return new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.Burst,
                        TokensPerPeriod = options.RequestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                    };
                });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = "This client sent more requests than Deployer:RateLimit allows; retry after Retry-After seconds.",
                    },
                });
            };
        });
        return services;
    }
}
