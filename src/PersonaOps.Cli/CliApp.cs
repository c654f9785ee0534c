using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PersonaOps.Cli.Commands;
using PersonaOps.Core.Rendering;

namespace PersonaOps.Cli;

/// <summary>
/// The command line: System.CommandLine parses, Microsoft.Extensions.Hosting provides configuration,
/// logging and services to the command that runs. The first Ctrl+C or SIGTERM cancels the command's token
/// (see <see cref="Interruption"/>); System.CommandLine's own signal handling is off.
/// </summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, IOContext io, CancellationToken cancellationToken = default)
    {
        io.Redactor.Add(io.Environment("TAVUS_API_KEY"));
        await using var stdout = new RedactingWriter(io.Out, io.Redactor);
        await using var stderr = new RedactingWriter(io.Error, io.Redactor);
        return await RunRedactedAsync(args, io with { Out = stdout, Error = stderr }, cancellationToken);
    }

    private static async Task<int> RunRedactedAsync(string[] args, IOContext io, CancellationToken cancellationToken)
    {
        var root = BuildCommand(io);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, io.Interruption.Stopping);
        try
        {
            // Bad usage is reported here, in one line, before any command runs: System.CommandLine's own
            // report would print the help on stdout, and read an unknown option as a manifest path.
            var parseResult = root.Parse(args);
            if (Usage.Check(parseResult, args) is { } problem)
            {
                Usage.Report(root, problem, io);
                return ExitCodes.Error;
            }

            if (ProjectRootProblem(io, parseResult) is { } rootProblem)
            {
                await io.Error.WriteLineAsync($"personaops: error: {rootProblem}");
                return ExitCodes.Error;
            }

            // The project file and the environment, for every command that takes --env: a bad one is an
            // error before the command runs, so before any request.
            if (parseResult.CommandResult.Command.Options.Contains(Workflow.Env))
            {
                if (ProjectSelection.Load(io, ProjectRoot(io, parseResult), parseResult.GetValue(Workflow.Env)) is not { } selection)
                {
                    return ExitCodes.Error;
                }

                io = io with { Project = selection };
                root = BuildCommand(io);
                parseResult = root.Parse(args);
            }

            var configuration = new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await parseResult.InvokeAsync(configuration, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await io.Error.WriteLineAsync("personaops: interrupted; nothing more was sent.");
            return ExitCodes.Error;
        }
        catch (Tavus.TavusApiException ex)
        {
            // A command that did not place an API failure itself: still one clear line, not a bug report.
            await io.Error.WriteLineAsync($"personaops: error: {ex.Message}");
            return ExitCodes.Error;
        }
#pragma warning disable CA1031 // The edge of the program: anything unexpected becomes one line on stderr and exit 1, never a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await io.Error.WriteLineAsync($"personaops: internal error: {ex.GetType().Name}: {ex.Message}");
            await io.Error.WriteLineAsync("personaops: this is a bug in PersonaOps; please report it with the command you ran.");
            return ExitCodes.Error;
        }
    }

    public static RootCommand BuildCommand(IOContext io)
    {
        var root = new RootCommand("PersonaOps: Tavus personas as code. Validate YAML persona manifests, plan changes against the live account, apply them.");
        root.Options.Add(GlobalOptions.Dir);
        root.Options.Add(GlobalOptions.NoColor);
        root.Options.Add(GlobalOptions.Verbose);
        root.Subcommands.Add(ValidateCommand.Create(io));
        root.Subcommands.Add(PlanCommand.CreatePlan(io));
        root.Subcommands.Add(ApplyCommand.Create(io));
        root.Subcommands.Add(PlanCommand.CreateDrift(io));
        root.Subcommands.Add(ImportCommand.Create(io));
        root.Subcommands.Add(ShowCommand.Create(io));
        root.Subcommands.Add(SandboxCommand.Create(io));
        return root;
    }

    /// <summary>The services a command runs with: configuration from the environment, logging to stderr.</summary>
    internal static IHost BuildHost(IOContext io, ParseResult parseResult, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var level = parseResult.GetValue(GlobalOptions.Verbose) ? LogLevel.Debug : LogLevel.Information;
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(level);
        builder.Logging.AddProvider(new StandardErrorLoggerProvider(io.Error, level));
        builder.Services.AddSingleton(io);
        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>
    /// Why --dir cannot be the project root (it does not exist, or is a file), or null. Checked before any
    /// command runs, so a misplaced --dir is one line, not a confusing "personas/ does not exist".
    /// </summary>
    private static string? ProjectRootProblem(IOContext io, ParseResult parseResult)
    {
        if (parseResult.GetValue(GlobalOptions.Dir) is not { Length: > 0 } dir)
        {
            return parseResult.GetResult(GlobalOptions.Dir) is { Implicit: false } ? "--dir needs a folder; it was given an empty value." : null;
        }

        var full = Path.GetFullPath(dir, io.CurrentDirectory);
        var shown = TextEscape.Control(dir);
        return FileKind.Of(full) switch
        {
            FileKindValue.Directory => null,
            FileKindValue.Missing => $"--dir names '{shown}', which does not exist; --dir takes the project folder (the one that holds personas/).",
            FileKindValue.Regular => $"--dir names '{shown}', which is a file; --dir takes the project folder (the one that holds personas/). To read one manifest, name it as a path: personaops validate {shown}",
            var kind => $"--dir names '{shown}', which is {FileKind.Describe(kind)}; --dir takes the project folder (the one that holds personas/).",
        };
    }

    /// <summary>The project root: --dir, or the current directory.</summary>
    internal static string ProjectRoot(IOContext io, ParseResult parseResult) =>
        parseResult.GetValue(GlobalOptions.Dir) is { Length: > 0 } dir ? Path.GetFullPath(dir, io.CurrentDirectory) : io.CurrentDirectory;
}
