namespace ModelPlatform.Deployer.Security;

/// <summary>What a token may do: read, deploy (create, replace, delete), operate (traffic, promote, rollback), report a gateway's telemetry (and read), download model files only, or all.</summary>
internal static class Roles
{
    public const string Reader = "reader";
    public const string Deployer = "deployer";
    public const string Operator = "operator";
    public const string Admin = "admin";
    public const string Gateway = "gateway";

    /// <summary>Downloads stored model files and nothing else: what replicas on a cluster hold (see <see cref="ModelFetchToken"/>).</summary>
    public const string ModelFetch = "model-fetch";

    public static readonly IReadOnlyList<string> All = [Reader, Deployer, Operator, Admin, Gateway, ModelFetch];
}

/// <summary>The authorization policies of the API and the roles each admits.</summary>
internal static class Policies
{
    public const string Read = "read";
    public const string Deploy = "deploy";
    public const string Operate = "operate";
    public const string Report = "report";
    public const string FetchModel = "fetch-model";

    public static IReadOnlyList<string> RolesFor(string policy) => policy switch
    {
        Read => [Roles.Reader, Roles.Deployer, Roles.Operator, Roles.Admin, Roles.Gateway],
        FetchModel => Roles.All,
        Deploy => [Roles.Deployer, Roles.Admin],
        Operate => [Roles.Operator, Roles.Admin],
        Report => [Roles.Gateway, Roles.Admin],
        _ => [Roles.Admin],
    };
}
