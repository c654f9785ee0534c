using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Validation;

namespace PersonaOps.Cli.Commands;

/// <summary>The arguments of <c>personaops validate</c>, mapped from the parse result.</summary>
internal sealed record ValidateArguments(string Root, IReadOnlyList<string> Paths, OutputFormat<IReadOnlyList<Diagnostic>> Output, bool Color);

/// <summary><c>personaops validate [PATHS...]</c>: offline checks of every manifest. No network.</summary>
internal static class ValidateCommand
{
    private static readonly Argument<string[]> Paths = new("paths")
    {
        Description = "Manifest files or folders (searched recursively for *.yaml and *.yml). Default: personas/ under the project root.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>What validate's diagnostics render to: the formats its --output accepts.</summary>
    internal static readonly OutputFormats<IReadOnlyList<Diagnostic>> Formats = new OutputFormats<IReadOnlyList<Diagnostic>>()
        .Add("text", "file(line,col): severity code: message, one a line", (diagnostics, options) => Lines(diagnostics, d => options.Color ? Colorize(d) : DiagnosticFormatter.FormatText(d)))
        .Add("json", "an array of diagnostics", (diagnostics, _) => DiagnosticFormatter.FormatJson(diagnostics) + "\n")
        .Add("github", "workflow commands, the default when GITHUB_ACTIONS=true", (diagnostics, _) => Lines(diagnostics, DiagnosticFormatter.FormatGitHub));

    private static readonly Option<OutputFormat<IReadOnlyList<Diagnostic>>?> Output = Formats.CreateOption();

    public static Command Create(IOContext io)
    {
        var command = new Command("validate", "Check manifests offline: YAML, the JSON Schema, and the rules the schema cannot express. Exit 0 when valid (warnings allowed), 1 on any error.")
        {
            Paths,
            Output,
            Workflow.Env,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var arguments = new ValidateArguments(
                CliApp.ProjectRoot(io, parseResult),
                parseResult.GetValue(Paths) ?? [],
                parseResult.GetValue(Output) ?? (io.Environment("GITHUB_ACTIONS") == "true" ? Formats.Get("github") : Formats.Default),
                io.UseColor(parseResult.GetValue(GlobalOptions.NoColor)));
            using var host = CliApp.BuildHost(io, parseResult);
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("validate");
            return Task.FromResult(Run(io, arguments, logger));
        });
        return command;
    }

    internal static int Run(IOContext io, ValidateArguments arguments, ILogger logger)
    {
        var read = ManifestFiles.Read(arguments.Root, io.CurrentDirectory, arguments.Paths);
        var overlays = ManifestFiles.ReadOverlays(arguments.Root, io.Project.Environment);
        read = read with { Diagnostics = [.. overlays.Diagnostics, .. read.Diagnostics] };
        var result = ManifestValidator.Validate(read.Files, overlays.Files);
        var diagnostics = read.Diagnostics.Concat(result.Diagnostics).ToArray();

        io.Out.Write(arguments.Output.Render(diagnostics, new RenderOptions(arguments.Color, Verbose: false)));

        var errors = diagnostics.Count(d => d.IsError);
        var warnings = diagnostics.Length - errors;
        Log.ValidationSummary(logger, result.Manifests.Count, read.Files.Count, errors, warnings);
        return errors > 0 ? ExitCodes.Error : ExitCodes.Success;
    }

    private static string Lines(IReadOnlyList<Diagnostic> diagnostics, Func<Diagnostic, string> line) =>
        string.Concat(diagnostics.Select(d => line(d) + "\n"));

    private static string Colorize(Diagnostic d)
    {
        var text = DiagnosticFormatter.FormatText(d);
        var head = $"{DiagnosticFormatter.SeverityWord(d.Severity)} {d.Code}";
        var at = text.IndexOf(": " + head, StringComparison.Ordinal) + 2;
        return text[..at] + Core.Rendering.Ansi.On.Severity(d.IsError, head) + text[(at + head.Length)..];
    }
}
