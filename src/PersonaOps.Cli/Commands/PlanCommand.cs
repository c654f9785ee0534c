using System.CommandLine;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops plan</c> and <c>personaops drift</c>: read live state and show what apply would do.</summary>
internal static class PlanCommand
{
    private static string Json(Plan plan, RenderOptions options) => PlanDocument.Serialize(plan) + "\n";

    /// <summary>What a plan renders to, for plan, drift and show: the formats a plan's --output accepts.</summary>
    internal static readonly OutputFormats<Plan> Formats = new OutputFormats<Plan>()
        .Add("text", "Terraform-style, one block per persona", (plan, options) => PlanTextRenderer.Render(plan, options.Color, options.Verbose))
        .Add("json", "the saved-plan document", Json)
        .Add("markdown", "a pull-request comment", (plan, options) => PlanMarkdownRenderer.Render(plan, context: options.Context));

    /// <summary>What drift renders to: the same plan, in drift's voice (how live differs from Git).</summary>
    internal static readonly OutputFormats<Plan> DriftFormats = new OutputFormats<Plan>()
        .Add("text", "the fields where live differs from Git", (plan, options) => PlanTextRenderer.Render(plan, options.Color, options.Verbose, ChangeVoice.Drift))
        .Add("json", "the plan document that would converge them", Json)
        .Add("markdown", "an issue body", (plan, options) => PlanMarkdownRenderer.Render(plan, voice: ChangeVoice.Drift, context: options.Context));

    /// <summary>--output of plan and show.</summary>
    internal static readonly Option<OutputFormat<Plan>?> Output = Formats.CreateOption();

    private static readonly Option<OutputFormat<Plan>?> DriftOutput = DriftFormats.CreateOption();

    /// <summary>--commit: the commit a Markdown comment says it was computed for.</summary>
    internal static readonly Option<string?> Commit = new("--commit") { Description = "The commit a Markdown comment names (default: GITHUB_SHA).", HelpName = "sha" };

    /// <summary>--run-url: the CI run a Markdown comment links to.</summary>
    internal static readonly Option<string?> RunUrl = new("--run-url") { Description = "The CI run a Markdown comment links to (default: GitHub's run, from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID).", HelpName = "url" };

    /// <summary>Where the product was computed: the options, else what GitHub Actions sets.</summary>
    internal static MarkdownContext Context(IOContext io, ParseResult parseResult)
    {
        var commit = parseResult.GetValue(Commit) ?? io.Environment("GITHUB_SHA");
        var run = parseResult.GetValue(RunUrl);
        if (run is null && io.Environment("GITHUB_SERVER_URL") is { Length: > 0 } server && io.Environment("GITHUB_REPOSITORY") is { Length: > 0 } repository && io.Environment("GITHUB_RUN_ID") is { Length: > 0 } id)
        {
            run = $"{server.TrimEnd('/')}/{repository}/actions/runs/{id}";
        }

        return new MarkdownContext(commit, run);
    }

    private static readonly Option<string?> Out = new("--out") { Description = "Also save the plan to this file, for `personaops apply PLANFILE` or `personaops show`.", HelpName = "file" };
    private static readonly Option<bool> Adopt = new("--adopt")
    {
        Description = "Rewrite the manifests to match live for every field that differs, in place (comments, order and quoting kept); says on stderr what it changed and what it left. Exit 0 when all was adopted, 2 when something was left for a person, 1 on error.",
    };

    private static readonly Option<bool> DetailedExitCode = new("--detailed-exitcode") { Description = "Exit 0 when there are no changes, 2 when there are, 1 on error (as Terraform)." };

    public static Command CreatePlan(IOContext io)
    {
        var command = new Command("plan", "Read the live personas and print what apply would do. Changes nothing.");
        Workflow.AddTo(command);
        Workflow.AddRevisionOptions(command);
        command.Options.Add(Output);
        command.Options.Add(Out);
        command.Options.Add(DetailedExitCode);
        command.Options.Add(Commit);
        command.Options.Add(RunUrl);
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(io, Workflow.Arguments(io, parseResult), Formats.Chosen(parseResult, Output), Context(io, parseResult), parseResult.GetValue(Out), parseResult.GetValue(DetailedExitCode), cancellationToken));
        return command;
    }

    public static Command CreateDrift(IOContext io)
    {
        var command = new Command("drift", "Plan for scheduled jobs: exit 2 when the live personas differ from the manifests, 0 when they match, 1 on error.");
        Workflow.AddTo(command);
        Workflow.AddRevisionOptions(command);
        command.Options.Add(DriftOutput);
        command.Options.Add(Commit);
        command.Options.Add(RunUrl);
        command.Options.Add(Adopt);
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(io, Workflow.Arguments(io, parseResult), DriftFormats.Chosen(parseResult, DriftOutput), Context(io, parseResult), null, detailedExitCode: true, cancellationToken, parseResult.GetValue(Adopt)));
        return command;
    }

    private static async Task<int> RunAsync(IOContext io, WorkflowArguments arguments, OutputFormat<Plan> output, MarkdownContext context, string? outFile, bool detailedExitCode, CancellationToken cancellationToken, bool adopt = false)
    {
        if (adopt && arguments.Head is not null)
        {
            io.Error.WriteLine("personaops: error: drift --adopt rewrites the manifests in the work tree, and --head reads them from another revision; run drift --adopt without --head, on a checkout of the branch to change.");
            return ExitCodes.Error;
        }

        await using var run = await Workflow.LoadAndPlanAsync(io, arguments, requireSecrets: false, cancellationToken);
        if (run is null)
        {
            return ExitCodes.Error;
        }

        var plan = run.Plan;
        if (outFile is not null || output.Name == "json")
        {
            // A plan document is sealed over the plan as it is written: only a holder of this account's key
            // can make one. Text and Markdown carry no seal, so they do not pay for one.
            plan = plan with { Seal = run.Target.Plan.Key.Seal(PlanDocument.SealedContent(plan)) };
        }

        // The plan file first: a plan whose file could not be saved is an error, not a plan to act on.
        if (outFile is not null && await AtomicFile.WriteAsync(Path.GetFullPath(outFile, io.CurrentDirectory), PlanDocument.Serialize(plan)) is { } error)
        {
            io.Error.WriteLine($"personaops: error: cannot save the plan to {outFile}: {error}");
            return ExitCodes.Error;
        }

        io.Out.Write(output.Render(plan, new RenderOptions(arguments.Color, arguments.Verbose, context)));
        if (adopt && run.Manifests?.Resolved.Resources.FirstOrDefault(r => r.Source.Overlay is not null) is { } overlaid)
        {
            io.Error.WriteLine($"personaops: error: drift --adopt does not yet rewrite an environment's overlays, and {overlaid.Address} has one ({overlaid.Source.Overlay}); adopt without --env, or edit the overlay by hand.");
            return ExitCodes.Error;
        }

        if (adopt)
        {
            return await AdoptCommand.RunAsync(io, arguments, run);
        }

        if (outFile is not null)
        {
            io.Error.WriteLine($"personaops: saved the plan to {outFile}; apply exactly it with: personaops apply {outFile}");
        }

        return detailedExitCode && plan.HasChanges ? ExitCodes.Changes : ExitCodes.Success;
    }
}
