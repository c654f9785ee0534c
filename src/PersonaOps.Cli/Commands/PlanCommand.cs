using System.CommandLine;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Tavus;
using Microsoft.Extensions.DependencyInjection;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops plan</c> and <c>personaops drift</c>: read live state and show what apply would do.</summary>
internal static class PlanCommand
{
    private static readonly Option<OutputFormat?> Output = new("--output", "-o") { Description = "text (default), json (the saved-plan document) or markdown (a pull-request comment).", HelpName = "text|json|markdown" };
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
        if (output is not (OutputFormat.Text or OutputFormat.Json or OutputFormat.Markdown))
        {
            io.Error.WriteLine("personaops: error: plan supports --output text, json or markdown.");
            return ExitCodes.Error;
        }

        var manifests = Workflow.LoadManifests(io, arguments, requireSecrets: false);
        if (manifests is null)
        {
            return ExitCodes.Error;
        }

        using var target = Workflow.OpenTarget(io, arguments);
        if (target is null)
        {
            return ExitCodes.Error;
        }

        await using var services = Workflow.Services(io, target, arguments);
        var plan = await Workflow.PlanAsync(io, arguments, manifests, target, services.GetRequiredService<TavusClient>(), cancellationToken);
        if (plan is null)
        {
            return ExitCodes.Error;
        }

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
