using System.CommandLine;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops plan</c> and <c>personaops drift</c>: read live state and show what apply would do.</summary>
internal static class PlanCommand
{
    /// <summary>--output of plan, drift and show: the formats a plan renders to.</summary>
    internal static readonly Option<OutputFormat?> Output = CreateOutputOption();
    private static readonly Option<string?> Out = new("--out") { Description = "Also save the plan to this file, for `personaops apply PLANFILE` or `personaops show`.", HelpName = "file" };
    private static readonly Option<bool> DetailedExitCode = new("--detailed-exitcode") { Description = "Exit 0 when there are no changes, 2 when there are, 1 on error (as Terraform)." };

    private static Option<OutputFormat?> CreateOutputOption()
    {
        var option = new Option<OutputFormat?>("--output", "-o") { Description = "text (default), json (the saved-plan document) or markdown (a pull-request comment).", HelpName = "text|json|markdown" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<OutputFormat?>() is OutputFormat.GitHub)
            {
                result.AddError("--output must be text, json or markdown for a plan (github is validate's format).");
            }
        });
        return option;
    }

    public static Command CreatePlan(IOContext io)
    {
        var command = new Command("plan", "Read the live personas and print what apply would do. Changes nothing.");
        Workflow.AddTo(command);
        command.Options.Add(Output);
        command.Options.Add(Out);
        command.Options.Add(DetailedExitCode);
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(io, Workflow.Arguments(io, parseResult), parseResult.GetValue(Output) ?? OutputFormat.Text, parseResult.GetValue(Out), parseResult.GetValue(DetailedExitCode), cancellationToken));
        return command;
    }

    public static Command CreateDrift(IOContext io)
    {
        var command = new Command("drift", "Plan for scheduled jobs: exit 2 when the live personas differ from the manifests, 0 when they match, 1 on error.");
        Workflow.AddTo(command);
        command.Options.Add(Output);
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(io, Workflow.Arguments(io, parseResult), parseResult.GetValue(Output) ?? OutputFormat.Text, null, detailedExitCode: true, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(IOContext io, WorkflowArguments arguments, OutputFormat output, string? outFile, bool detailedExitCode, CancellationToken cancellationToken)
    {
        await using var run = await Workflow.LoadAndPlanAsync(io, arguments, requireSecrets: false, cancellationToken);
        if (run is null)
        {
            return ExitCodes.Error;
        }

        var plan = run.Plan;

        // The plan file first: a plan whose file could not be saved is an error, not a plan to act on.
        if (outFile is not null && await AtomicFile.WriteAsync(Path.GetFullPath(outFile, io.CurrentDirectory), PlanDocument.Serialize(plan)) is { } error)
        {
            io.Error.WriteLine($"personaops: error: cannot save the plan to {outFile}: {error}");
            return ExitCodes.Error;
        }

        io.Out.Write(Render(plan, output, arguments.Color, arguments.Verbose));
        if (outFile is not null)
        {
            io.Error.WriteLine($"personaops: saved the plan to {outFile}; apply exactly it with: personaops apply {outFile}");
        }

        return detailedExitCode && plan.HasChanges ? ExitCodes.Changes : ExitCodes.Success;
    }

    /// <summary>The plan in one of the --output formats that plan, drift and show share.</summary>
    public static string Render(Plan plan, OutputFormat output, bool color, bool verbose) => output switch
    {
        OutputFormat.Json => PlanDocument.Serialize(plan) + "\n",
        OutputFormat.Markdown => PlanMarkdownRenderer.Render(plan),
        _ => PlanTextRenderer.Render(plan, color, verbose),
    };
}
