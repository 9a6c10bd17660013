using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>A real deployer process per test class.</summary>
public sealed class DeployerFixture : DeployerHarness, IAsyncLifetime;
