using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ModelPlatform.Deployer.Security;

/// <summary>
/// Declares the bearer scheme in the OpenAPI document, and on every operation that needs a token its
/// security requirement, the roles it admits, and its 401, 403 and 429 answers.
/// </summary>
internal sealed class BearerSecurityTransformer : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[TokenAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            In = ParameterLocation.Header,
            Description = "An API token (Deployer:Auth:Tokens). Roles: reader (GET), deployer (create, replace, delete), " +
                "operator (traffic, promote, rollback), admin (all).",
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var policies = metadata.OfType<IAuthorizeData>().Select(data => data.Policy).OfType<string>().ToList();
        if (policies.Count == 0 || metadata.OfType<IAllowAnonymous>().Any())
        {
            return Task.CompletedTask;
        }

        // Policies on a group and its endpoint both apply: the narrowest decides who may call.
        var roles = policies
            .Select(Policies.RolesFor)
            .Aggregate((IEnumerable<string>)Roles.All, (left, right) => left.Intersect(right))
            .ToArray();
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(TokenAuthenticationHandler.SchemeName, context.Document)] = [],
        });
        operation.Description = $"{operation.Description} Needs a token with the role {string.Join(" or ", roles)}.".TrimStart();
        operation.Responses ??= new OpenApiResponses();
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No token, or one that is not valid (WWW-Authenticate: Bearer)." });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = $"The token's role is not {string.Join(" or ", roles)}." });
        operation.Responses.TryAdd("429", new OpenApiResponse { Description = "Rate limit or failed-authentication limit reached; see Retry-After." });
        return Task.CompletedTask;
    }
}
