using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace ModelPlatform.Deployer.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> against the token registry. Answers for itself: 401
/// problem details with <c>WWW-Authenticate: Bearer</c> without a valid token, 403 naming the roles
/// the operation needs, 429 with <c>Retry-After</c> for another invalid token from an address that
/// presented too many. The token never reaches a log.
/// </summary>
internal sealed partial class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TokenRegistry tokens,
    FailedAuthLimiter failures,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Bearer";

    private const string BlockedKey = "auth.blocked";

    private string Address => Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // The token first, the address's failures after: a valid token is never refused because
        // others failed from the same address (see FailedAuthLimiter for why that is safe).
        const string Prefix = "Bearer ";
        var token = header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? header[Prefix.Length..].Trim() : string.Empty;
        if (token.Length == 0 || !tokens.TryAuthenticate(token, out var name, out var role))
        {
            if (!failures.TryRecordFailure(Address))
            {
                Context.Items[BlockedKey] = true;
                return Task.FromResult(AuthenticateResult.Fail("Too many invalid tokens from this address."));
            }

            LogInvalidToken(Logger, Address);
            return Task.FromResult(AuthenticateResult.Fail("The token is not valid."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(BlockedKey))
        {
            Response.Headers.RetryAfter = ((int)FailedAuthLimiter.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WriteProblemAsync(StatusCodes.Status429TooManyRequests, "Too many invalid tokens",
                "This address presented too many invalid tokens; a valid token is still accepted, another invalid one not before Retry-After seconds.");
            return;
        }

        var presented = Request.Headers.Authorization.Count > 0;
        Response.Headers.WWWAuthenticate = presented ? "Bearer error=\"invalid_token\"" : "Bearer";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized", presented
            ? "The bearer token is not valid."
            : "This API needs a bearer token: Authorization: Bearer <token>.");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var policy = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(data => data.Policy).LastOrDefault(p => p is not null);
        var needed = Policies.RolesFor(policy ?? string.Empty);
        var role = Context.User.FindFirstValue(ClaimTypes.Role);
        await WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden",
            $"The {role} role may not do this; it needs one of: {string.Join(", ", needed)}.");
    }

    private async Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An invalid token was presented from {Address}")]
    private static partial void LogInvalidToken(ILogger logger, string address);
}
