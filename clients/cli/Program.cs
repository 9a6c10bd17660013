using ModelPlatform.Cli;

return await CliApplication.RunAsync(args, CliEnvironment.FromProcess());
