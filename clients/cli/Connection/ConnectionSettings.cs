namespace ModelPlatform.Cli.Connection;

/// <summary>
/// Where the deployer and the gateway are and which token to send, with where each came from, so
/// an error can say what to change.
/// </summary>
/// <param name="Deployer">The deployer's base address.</param>
/// <param name="Token">The bearer token, or null when none was found.</param>
/// <param name="TokenSource">Where the token came from, in words (never the token).</param>
/// <param name="Gateway">The gateway's base address when given by flag or environment; null: ask the deployer (its <c>status.url</c>).</param>
internal sealed record ConnectionSettings(Uri Deployer, string? Token, string TokenSource, Uri? Gateway)
{
    public const string DeployerVariable = "MODELPLATFORM_DEPLOYER_URL";
    public const string GatewayVariable = "MODELPLATFORM_GATEWAY_URL";
    public const string TokenVariable = "MODELPLATFORM_TOKEN";
    public const string TokenFileVariable = "MODELPLATFORM_TOKEN_FILE";

    /// <summary>The quickstart's deployer (README): the app host and <c>dotnet run --project services/deployer</c> listen here.</summary>
    public static readonly Uri DefaultDeployer = new("http://127.0.0.1:5100/");
}
