namespace ModelPlatform.Deployer.Audit;

/// <summary>Who made a change: the authenticated caller's name, or <see cref="Anonymous"/>.</summary>
internal static class AuditActor
{
    public const string Anonymous = "anonymous";

    public static string Of(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : Anonymous;
}
