using PersonaOps.Cli;

return await CliApp.RunAsync(args, IOContext.FromConsole());
