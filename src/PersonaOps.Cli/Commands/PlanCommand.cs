using System.CommandLine;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops plan</c> and <c>personaops drift</c>: read live state and show what apply would do.</summary>
internal static class PlanCommand
{
    /// <summary>What a plan renders to, for plan, drift and show: the formats a plan's --output accepts.</summary>
    internal static readonly OutputFormats<Plan> Formats = new OutputFormats<Plan>()
        .Add("text", "Terraform-style, one block per persona", (plan, options) => PlanTextRenderer.Render(plan, options.Color, options.Verbose))
        .Add("json", "the saved-plan document", (plan, _) => PlanDocument.Serialize(plan) + "\n")
        .Add("markdown", "a pull-request comment", (plan, _) => PlanMarkdownRenderer.Render(plan));

    /// <summary>--output of plan, drift and show.</summary>
    internal static readonly Option<OutputFormat<Plan>?> Output = Formats.CreateOption();
    private static readonly Option<string?> Out = new("--out") { Description = "Also save the plan to this file, for `personaops apply PLANFILE` or `personaops show`.", HelpName = "file" };
    private static readonly Option<bool> DetailedExitCode = new("--detailed-exitcode") { Description = "Exit 0 when there are no changes, 2 when there are, 1 on error (as Terraform)." };

    public static Command CreatePlan(IOContext io)
    {
        var command = new Command("plan", "Read the live personas and print what apply would do. Changes nothing.");
        Workflow.AddTo(command);
        command.Options.Add(Output);
        command.Options.Add(Out);
        command.Options.Add(DetailedExitCode);
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(io, Workflow.Arguments(io, parseResult), Formats.Chosen(parseResult, Output), parseResult.GetValue(Out), parseResult.GetValue(DetailedExitCode), cancellationToken));
        return command;
    }

    public static Command CreateDrift(IOContext io)
    {
        var command = new Command("drift", "Plan for scheduled jobs: exit 2 when the live personas differ from the manifests, 0 when they match, 1 on error.");
        Workflow.AddTo(command);
        command.Options.Add(Output);
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(io, Workflow.Arguments(io, parseResult), Formats.Chosen(parseResult, Output), null, detailedExitCode: true, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(IOContext io, WorkflowArguments arguments, OutputFormat<Plan> output, string? outFile, bool detailedExitCode, CancellationToken cancellationToken)
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

        io.Out.Write(output.Render(plan, new RenderOptions(arguments.Color, arguments.Verbose)));
        if (outFile is not null)
        {
            io.Error.WriteLine($"personaops: saved the plan to {outFile}; apply exactly it with: personaops apply {outFile}");
        }

        return detailedExitCode && plan.HasChanges ? ExitCodes.Changes : ExitCodes.Success;
    }
}
