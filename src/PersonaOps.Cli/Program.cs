using PersonaOps.Cli;

using var interruption = Interruption.FromSignals(Console.Error);
return await CliApp.RunAsync(args, IOContext.FromConsole() with { Interruption = interruption });
