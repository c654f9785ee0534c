using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PersonaOps.Cli.Applying;
using PersonaOps.Core.Applying;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Tavus;

namespace PersonaOps.Cli.Commands;

/// <summary>
/// <c>personaops apply</c>: converge the live personas to the manifests, or apply exactly a saved plan.
/// Arguments, then Core's steps (plan, stale check, preparation), the <see cref="ApplyRunner"/>, and the
/// report rendered as text or JSON.
/// </summary>
internal static class ApplyCommand
{
    private static readonly Option<bool> AutoApprove = new("--auto-approve") { Description = "Apply without asking; needed where no one can answer (CI)." };
    private static readonly Option<bool> Force = new("--force") { Description = "Overwrite personas with unpublished PAL Maker changes (sends ?force=true)." };
    private static readonly Option<bool> OverwriteOutsideChanges = new("--overwrite-outside-changes") { Description = "Apply a three-way plan (--base) that has conflicts, setting those fields to Git's value over the edits made outside PersonaOps." };

    /// <summary>What apply's report renders to.</summary>
    private static readonly OutputFormats<ApplyReport> Formats = new OutputFormats<ApplyReport>()
        .Add("text", "the plan, a line per change, a summary", (report, _) => ApplyReportRenderer.Summary(report))
        .Add("json", "only the apply report: every resource's address, action, id and outcome", (report, _) => ApplyReportRenderer.Json(report));

    private static readonly Option<OutputFormat<ApplyReport>?> Output = Formats.CreateOption();

    public static Command Create(IOContext io)
    {
        var command = new Command("apply", "Converge the live personas to the manifests (PATHS), or apply exactly a saved plan (PLANFILE, a .json file written by plan --out).");
        Workflow.AddTo(command);
        command.Options.Add(AutoApprove);
        command.Options.Add(Force);
        command.Options.Add(OverwriteOutsideChanges);
        command.Options.Add(Output);
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(io, Workflow.Arguments(io, parseResult), new ApplyOptions(parseResult.GetValue(AutoApprove), parseResult.GetValue(Force), Formats.Chosen(parseResult, Output)) { OverwriteOutsideChanges = parseResult.GetValue(OverwriteOutsideChanges) }, cancellationToken));
        return command;
    }

    /// <param name="Output">How the report is rendered, from <see cref="Formats"/>.</param>
    private sealed record ApplyOptions(bool AutoApprove, bool Force, OutputFormat<ApplyReport> Output)
    {
        /// <summary>Apply a plan with conflicts, Git's value winning over the outside edit.</summary>
        public bool OverwriteOutsideChanges { get; init; }

        /// <summary>In JSON, stdout carries the report alone: no plan, no question, no line per change.</summary>
        public bool Json => Output.Name == "json";

        public string Render(ApplyReport report) => Output.Render(report, new RenderOptions(Color: false, Verbose: false));
    }

    private static async Task<int> RunAsync(IOContext io, WorkflowArguments arguments, ApplyOptions options, CancellationToken cancellationToken)
    {
        // Everything this command writes passes the progress line's writers, which erase the line first.
        using var progress = new ApplyProgress(io.Error, TimeProvider.System, io.ErrorIsTerminal);
        io = io with { Out = progress.Wrap(io.Out), Error = progress.Wrap(io.Error) };
        var planFile = arguments.Paths.Count == 1 && arguments.Paths[0].EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? arguments.Paths[0] : null;
        if (arguments.Paths.Count > 1 && arguments.Paths.FirstOrDefault(p => p.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) is { } mixed)
        {
            // Read as a manifest, a plan file would only print schema errors: say what is wrong instead.
            io.Error.WriteLine($"personaops: error: {Core.Rendering.TextEscape.Control(mixed)} looks like a saved plan, which is applied alone (personaops apply {Core.Rendering.TextEscape.Control(mixed)}), never with manifests; give either the plan file or the manifests. Nothing was applied.");
            return ExitCodes.Error;
        }

        if (planFile is not null && arguments.Only.Count > 0)
        {
            // A saved plan is applied exactly as it was reviewed, never a part of it: narrow the plan instead.
            io.Error.WriteLine($"personaops: error: --only cannot narrow a saved plan, which is applied whole, as it was reviewed; make the plan with --only ({string.Join(" ", arguments.Only.Select(n => "--only " + n))}) and apply that. Nothing was applied.");
            return ExitCodes.Error;
        }

        if (planFile is not null && arguments.RotateSecrets)
        {
            // A saved plan sends the secrets it recorded, and no others: asking for more is refused, not ignored.
            io.Error.WriteLine("personaops: error: --rotate-secrets cannot change a saved plan, which sends exactly the secrets it was made with; make the plan with personaops plan --rotate-secrets --out FILE and apply that. Nothing was applied.");
            return ExitCodes.Error;
        }

        if (planFile is not null)
        {
            return await ApplySavedAsync(io, arguments with { Paths = [] }, planFile, options, progress, cancellationToken);
        }

        // In JSON, stdout carries the report alone: there is no room for the plan and its question, so a
        // person reviews with plan (or plan --out and apply PLANFILE), and the JSON run is told to go ahead.
        if (options.Json && !options.AutoApprove)
        {
            io.Error.WriteLine("personaops: error: apply --output json prints only the report, so it cannot show the plan and ask for confirmation; review it with plan and rerun with --auto-approve, or apply a saved plan (plan --out FILE, then apply FILE). Nothing was changed.");
            return ExitCodes.Error;
        }

        await using var run = await Workflow.LoadAndPlanAsync(io, arguments, requireSecrets: true, cancellationToken);
        if (run is null)
        {
            return ExitCodes.Error;
        }

        var plan = run.Plan;
        var api = new PersonaApi(run.Client, options.Force);
        if (!options.Json)
        {
            io.Out.Write(PlanTextRenderer.Render(plan, arguments.Color, arguments.Verbose));
        }

        if (RefuseConflicts(io, plan, options))
        {
            return ExitCodes.Error;
        }

        if (!plan.HasChanges)
        {
            if (options.Json)
            {
                io.Out.Write(options.Render(ApplyReport.Create(plan, [], [], interrupted: false, [])));
            }

            return ExitCodes.Success;
        }

        if (!options.AutoApprove && !await ConfirmAsync(io, plan, cancellationToken))
        {
            return ExitCodes.Error;
        }

        // After a confirmation, time has passed: read the account again, and apply only what was shown. With
        // --auto-approve the plan's own listing is seconds old, and a second one would cost N/100 requests
        // for nothing (two applies at once are settled by the create-race rule).
        var (current, refused) = options.AutoApprove ? (run.Live, 0) : await ListAgainAsync(io, api, plan, run.Target.Plan.Key, cancellationToken);
        if (current is null)
        {
            return refused;
        }

        var live = ApplyPreparation.IndexById(current);
        return await ExecuteAsync(io, plan, run.Target.Plan.Key, Apis(api), live, live.Keys, arguments.Parallelism, options, progress, cancellationToken);
    }

    /// <summary>
    /// The account as it is after the "yes"; or null and the exit code, after saying why: 3 (as a stale saved
    /// plan) when anything the confirmed plan touches changed since it was shown (a persona it updates or
    /// deletes was edited or is gone, or one now has the name of a persona it creates), 1 when the account
    /// cannot be read. What was confirmed is applied, or nothing: never a plan made from a view that no
    /// longer holds.
    /// </summary>
    private static async Task<(IReadOnlyList<JsonObject>? Current, int ExitCode)> ListAgainAsync(IOContext io, PersonaApi api, Plan plan, PlanKey key, CancellationToken cancellationToken)
    {
        IReadOnlyList<JsonObject> current;
        try
        {
            current = await api.ListAsync(cancellationToken);
        }
        catch (TavusApiException ex)
        {
            io.Error.WriteLine($"personaops: error: could not read the live personas again after the confirmation: {ex.Message} Nothing was applied.");
            return (null, ExitCodes.Error);
        }

        Workflow.RedactSecretsOf(io, current);
        var byId = ApplyPreparation.IndexById(current).ToDictionary(p => p.Key, p => (JsonObject?)p.Value, StringComparer.Ordinal);
        var check = StaleCheck.Check(plan, current, byId, key);
        if (!check.IsStale)
        {
            return (current, ExitCodes.Success);
        }

        io.Error.WriteLine("personaops: error: the account changed after the plan above was shown, so that plan is stale; nothing was applied. Run apply again to review a new plan.");
        foreach (var stale in check.Stale)
        {
            io.Error.WriteLine($"  - {stale.Message}");
        }

        return (null, ExitCodes.StalePlan);
    }

    /// <summary>
    /// A three-way plan with conflicts is not applied blind: a field changed by the change and, differently,
    /// outside PersonaOps is someone's edit that would be lost. True (after naming each) unless
    /// --overwrite-outside-changes says Git's value wins.
    /// </summary>
    private static bool RefuseConflicts(IOContext io, Plan plan, ApplyOptions options)
    {
        var conflicted = plan.Conflicted.ToArray();
        if (conflicted.Length == 0 || options.OverwriteOutsideChanges)
        {
            return false;
        }

        io.Error.WriteLine($"personaops: error: the plan has conflicts: {conflicted.Sum(p => p.Conflicts.Count)} field(s) were changed by this change and also outside PersonaOps since the base {ThreeWayView.Base(plan)}, to another value. Nothing was applied.");
        foreach (var entry in ThreeWayView.Conflicts(plan))
        {
            io.Error.WriteLine($"  - {entry.Address} ({entry.File}): {string.Join(", ", entry.Fields)}");
        }

        io.Error.WriteLine("personaops: adopt the outside edits into the manifests (personaops drift --adopt), or apply with --overwrite-outside-changes to set Git's values over them.");
        return true;
    }

    /// <summary>The API adapter of every kind apply may change, by kind.</summary>
    private static Dictionary<string, IResourceApi> Apis(params IResourceApi[] apis) => apis.ToDictionary(a => a.Kind, StringComparer.Ordinal);

    /// <summary>Asks on the terminal; true only for "yes". Refuses where no one can answer.</summary>
    private static async Task<bool> ConfirmAsync(IOContext io, Plan plan, CancellationToken cancellationToken)
    {
        if (!io.IsInteractive)
        {
            io.Error.WriteLine("personaops: error: apply needs confirmation, and no one can answer here; rerun with --auto-approve. Nothing was changed.");
            return false;
        }

        io.Out.Write($"\nDo you want to perform these actions on {plan.Target}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
        io.Out.Flush();
        string? answer;
        try
        {
            answer = await Task.Run(io.In.ReadLine, CancellationToken.None).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            answer = null;
        }

        if (answer?.Trim() != "yes")
        {
            io.Error.WriteLine("personaops: apply cancelled; nothing was changed.");
            return false;
        }

        return true;
    }

    private static async Task<int> ApplySavedAsync(IOContext io, WorkflowArguments arguments, string planFile, ApplyOptions options, ApplyProgress progress, CancellationToken cancellationToken)
    {
        var (plan, refused) = await Workflow.ReadPlanFileWithReasonAsync(io, planFile, cancellationToken);
        if (plan is null)
        {
            return refused;
        }

        if (plan.Errors.Count > 0)
        {
            // plan --out never writes one; a file that holds errors was not made to be applied.
            io.Error.WriteLine($"personaops: error: {planFile} records {plan.Errors.Count} manifest(s) that could not be planned, so it cannot be applied; fix them and make a new plan. Nothing was applied.");
            return ExitCodes.Error;
        }

        if (arguments.Base is { } revision)
        {
            // The saved plan was computed against its own base; another one makes it another plan.
            var named = GitRevisionFiles.Commit(arguments.Root, io.CurrentDirectory, revision);
            if (named.Error is not null)
            {
                io.Error.WriteLine($"personaops: error: {named.Error} Nothing was applied.");
                return ExitCodes.Error;
            }

            if (named.Commit != plan.Base)
            {
                io.Error.WriteLine($"personaops: error: {planFile} was planned {(plan.Base is null ? "without a base" : $"against the base {ThreeWayView.Base(plan)}")}, but --base names {TextEscape.Control(revision)} ({named.Commit![..12]}); nothing was applied. Make the plan with the base you mean.");
                return ExitCodes.StalePlan;
            }
        }

        if (RefuseConflicts(io, plan, options))
        {
            return ExitCodes.Error;
        }

        using var target = Workflow.OpenTarget(io, arguments);
        if (target is null)
        {
            return ExitCodes.Error;
        }

        // The environment is part of the target: a staging plan is not applied to production, even at one URL.
        if (plan.Environment != target.Plan.Environment)
        {
            io.Error.WriteLine($"personaops: error: {planFile} was made for {(plan.Environment is null ? "no environment" : $"the environment {TextEscape.Control(plan.Environment)}")}, but this run is for {(target.Plan.Environment is null ? "no environment" : $"the environment {target.Plan.Environment}")}; nothing was applied. Apply it with --env {TextEscape.Control(plan.Environment ?? "")}, or make a plan for this environment.".Replace(" with --env ,", " without --env,", StringComparison.Ordinal));
            return ExitCodes.StalePlan;
        }

        if (target.Description != plan.Target)
        {
            io.Error.WriteLine($"personaops: error: {planFile} was made for {plan.Target}, but this run targets {target.Description}; nothing was applied.");
            return ExitCodes.Error;
        }

        // The same API, but whose account? The plan records the keyed identity of the account it was made
        // with: a plan made with a staging key is refused under a production key, before any request.
        if (plan.Account != target.Plan.Account)
        {
            io.Error.WriteLine(target.IsSandbox
                ? $"personaops: error: {planFile} was made for another account: another sandbox file at {target.Description} (this one was made since, or copied from elsewhere); nothing was applied. Make a new plan against this sandbox."
                : $"personaops: error: {planFile} was made for another account: its plan was made with another TAVUS_API_KEY than this run's, at {target.Description}; nothing was applied. Apply it with the key it was made with, or make a new plan.");
            return ExitCodes.StalePlan;
        }

        // The fingerprint shows the file is whole; only the seal shows plan wrote it: whoever edits a plan
        // file can recompute a fingerprint, but not a seal without this account's key.
        if (!PlanDocument.IsSealedBy(plan, target.Plan.Key))
        {
            io.Error.WriteLine($"personaops: error: {planFile} {(plan.Seal is null ? "has no plan_seal" : "has a plan_seal that does not match its content")}, so it was not written by personaops plan for this account, or was edited since; nothing was applied. Make a new plan with personaops plan --out.");
            return ExitCodes.StalePlan;
        }

        await using var services = Workflow.Services(io, target, arguments);
        var api = new PersonaApi(services.GetRequiredService<TavusClient>(), options.Force);

        // The stale check: every persona the plan touches must still be exactly as it was planned from.
        var listing = await api.ListAsync(cancellationToken);
        var reads = new System.Collections.Concurrent.ConcurrentDictionary<string, JsonObject?>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(StaleCheck.IdsToRead(plan), new ParallelOptions { MaxDegreeOfParallelism = arguments.Parallelism, CancellationToken = cancellationToken }, async (id, token) =>
            reads[id] = await api.GetAsync(id, token));
        Workflow.RedactSecretsOf(io, listing.Concat(reads.Values.OfType<JsonObject>()));
        var check = StaleCheck.Check(plan, listing, reads, target.Plan.Key);
        if (check.IsStale)
        {
            io.Error.WriteLine("personaops: error: the saved plan is stale; nothing was applied. Make a new plan.");
            foreach (var stale in check.Stale)
            {
                io.Error.WriteLine($"  - {stale.Message}");
            }

            return ExitCodes.StalePlan;
        }

        if (!options.Json)
        {
            io.Out.Write(PlanTextRenderer.Render(plan, arguments.Color, arguments.Verbose));
        }

        var known = ApplyPreparation.IndexById(listing).Keys;
        return await ExecuteAsync(io, plan, target.Plan.Key, Apis(api), check.Live, known, arguments.Parallelism, options, progress, cancellationToken);
    }

    /// <summary>
    /// Prepares every change (stopping, with nothing sent, if a secret is missing or changed), runs them, and
    /// renders the report: a line per change as it finishes and a summary, or one JSON document.
    /// </summary>
    private static async Task<int> ExecuteAsync(IOContext io, Plan plan, PlanKey key, IReadOnlyDictionary<string, IResourceApi> apis, IReadOnlyDictionary<string, JsonObject> live, IEnumerable<string> knownIds, int parallelism, ApplyOptions options, ApplyProgress progress, CancellationToken stopping)
    {
        // The secrets about to be sent are masked in all output, should the API echo one back in an error.
        foreach (var secret in ApplyPreparation.SecretValues(plan, io.Environment))
        {
            io.Redactor.Add(secret);
        }

        var preparation = ApplyPreparation.Prepare(plan, io.Environment, live, key);
        if (!preparation.CanStart)
        {
            foreach (var problem in preparation.Problems)
            {
                io.Error.WriteLine(Core.Diagnostics.DiagnosticFormatter.FormatText(problem));
            }

            io.Error.WriteLine("personaops: error: nothing was applied.");
            return ExitCodes.Error;
        }

        if (!options.Json)
        {
            io.Out.WriteLine();
        }

        var output = io.Out;
        Action<ResourceResult> finished = options.Json ? _ => { } : result =>
        {
            lock (output)
            {
                output.WriteLine(ApplyReportRenderer.Line(result));
            }
        };
        progress.Begin(preparation.Changes.Count);
        var runner = new ApplyRunner(apis, parallelism, progress);
        var report = await runner.RunAsync(plan, preparation, knownIds, finished, stopping, io.Interruption.Abandoning);
        progress.Dispose();

        // Messages may quote the API; the writers mask known secrets, but JSON escaping could hide one from
        // them, so the report is masked before it is rendered.
        report = report.MapText(io.Redactor.Redact);
        if (!options.Json)
        {
            io.Out.WriteLine();
        }

        io.Out.Write(options.Render(report));

        foreach (var line in ApplyReportRenderer.Errors(report))
        {
            io.Error.WriteLine(line);
        }

        return report.ExitCode;
    }
}
