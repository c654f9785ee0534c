using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Tavus;

namespace PersonaOps.Cli.Commands;

/// <summary><c>personaops apply</c>: converge the live personas to the manifests, or apply exactly a saved plan.</summary>
internal static class ApplyCommand
{
    private static readonly Option<bool> AutoApprove = new("--auto-approve") { Description = "Apply without asking; needed where no one can answer (CI)." };
    private static readonly Option<bool> Force = new("--force") { Description = "Overwrite personas with unpublished PAL Maker changes (sends ?force=true)." };

    public static Command Create(IOContext io)
    {
        var command = new Command("apply", "Converge the live personas to the manifests (PATHS), or apply exactly a saved plan (PLANFILE, a .json file written by plan --out).");
        Workflow.AddTo(command);
        command.Options.Add(AutoApprove);
        command.Options.Add(Force);
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(io, Workflow.Arguments(io, parseResult), parseResult.GetValue(AutoApprove), parseResult.GetValue(Force), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(IOContext io, WorkflowArguments arguments, bool autoApprove, bool force, CancellationToken cancellationToken)
    {
        var planFile = arguments.Paths.Count == 1 && arguments.Paths[0].EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? arguments.Paths[0] : null;
        if (planFile is not null)
        {
            return await ApplySavedAsync(io, arguments with { Paths = [] }, planFile, force, cancellationToken);
        }

        await using var run = await Workflow.LoadAndPlanAsync(io, arguments, requireSecrets: true, cancellationToken);
        if (run is null)
        {
            return ExitCodes.Error;
        }

        var (plan, client) = (run.Plan, run.Client);

        io.Out.Write(PlanTextRenderer.Render(plan, arguments.Color, arguments.Verbose));
        if (!plan.HasChanges)
        {
            return ExitCodes.Success;
        }

        if (!autoApprove)
        {
            if (!io.IsInteractive)
            {
                io.Error.WriteLine("personaops: error: apply needs confirmation, and no one can answer here; rerun with --auto-approve. Nothing was changed.");
                return ExitCodes.Error;
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
                return ExitCodes.Error;
            }
        }

        // After a confirmation, time has passed: read the account again. With --auto-approve the plan's own
        // listing is seconds old, and a second one would cost N/100 requests for nothing.
        var current = autoApprove ? run.Live : await client.ListUserPersonasAsync(cancellationToken);
        var live = current.Where(p => Core.Kinds.PersonaKind.Identity.Id(p) is not null).ToDictionary(p => Core.Kinds.PersonaKind.Identity.Id(p)!, StringComparer.Ordinal);
        return await ExecuteAsync(io, plan, client, live, arguments.Parallelism, force, cancellationToken);
    }

    private static async Task<int> ApplySavedAsync(IOContext io, WorkflowArguments arguments, string planFile, bool force, CancellationToken cancellationToken)
    {
        var plan = await Workflow.ReadPlanFileAsync(io, planFile, cancellationToken);
        if (plan is null)
        {
            return ExitCodes.Error;
        }

        using var target = Workflow.OpenTarget(io, arguments);
        if (target is null)
        {
            return ExitCodes.Error;
        }

        if (target.Description != plan.Target)
        {
            io.Error.WriteLine($"personaops: error: {planFile} was made for {plan.Target}, but this run targets {target.Description}; nothing was applied.");
            return ExitCodes.Error;
        }

        await using var services = Workflow.Services(io, target, arguments);
        var client = services.GetRequiredService<TavusClient>();

        // The stale check: every persona the plan touches must still be exactly as it was planned from.
        var live = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var stale = new List<string>();
        var current = await client.ListUserPersonasAsync(cancellationToken);
        foreach (var persona in plan.Personas.Where(p => p.Action != PlanAction.NoOp))
        {
            if (persona.Action == PlanAction.Create)
            {
                if (current.Any(p => p["persona_name"]?.GetValue<string>() == persona.PersonaName && persona.PersonaName is not null))
                {
                    stale.Add($"{persona.Address}: a persona named '{persona.PersonaName}' now exists");
                }

                continue;
            }

            var now = persona.LiveId is null ? null : await client.GetPersonaAsync(persona.LiveId, cancellationToken);
            if (now is null || CanonicalJson.Hash(now) != persona.LiveFingerprint)
            {
                stale.Add($"{persona.Address} ({persona.LiveId}) {(now is null ? "no longer exists" : "changed since the plan was made")}");
            }
            else
            {
                live[persona.LiveId!] = now;
            }
        }

        if (stale.Count > 0)
        {
            io.Error.WriteLine($"personaops: error: the saved plan is stale; nothing was applied. Make a new plan.");
            foreach (var line in stale)
            {
                io.Error.WriteLine($"  - {line}");
            }

            return ExitCodes.StalePlan;
        }

        io.Out.Write(PlanTextRenderer.Render(plan, arguments.Color, arguments.Verbose));
        return await ExecuteAsync(io, plan, client, live, arguments.Parallelism, force, cancellationToken);
    }

    /// <summary>
    /// Applies every change with bounded parallelism; one failure does not stop the others. An interrupt
    /// (<paramref name="stopping"/>) starts nothing new and lets requests in flight finish until
    /// <see cref="Interruption.Abandoning"/>; then the summary says what was applied, what failed, what was
    /// abandoned with its outcome unknown, and what was not attempted.
    /// </summary>
    private static async Task<int> ExecuteAsync(IOContext io, Plan plan, TavusClient client, IReadOnlyDictionary<string, JsonObject> live, int parallelism, bool force, CancellationToken stopping)
    {
        var work = plan.Personas.Where(p => p.Action != PlanAction.NoOp).ToArray();

        // Every body and patch is made (secrets resolved, fingerprints checked) before the first request, so
        // a missing or changed secret stops the apply before it starts rather than half-way through.
        var prepared = new Prepared?[work.Length];
        var problems = new List<string>();
        for (var i = 0; i < work.Length; i++)
        {
            string? error = null;
            prepared[i] = work[i].Action switch
            {
                PlanAction.Create => ApplyPreparation.ResolveBody(work[i], io.Environment, out error) is { } body ? new Prepared(body, null) : null,
                PlanAction.Update => ApplyPreparation.ResolvePatch(work[i], io.Environment, out error) is { } patch ? new Prepared(null, patch) : null,
                _ => new Prepared(null, null),
            };
            if (prepared[i] is null)
            {
                problems.Add($"{work[i].Address}: {error}");
            }
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                io.Error.WriteLine($"personaops: error: {problem}");
            }

            io.Error.WriteLine("personaops: error: nothing was applied.");
            return ExitCodes.Error;
        }

        var outcomes = new Outcome[work.Length];
        var createdIds = new string?[work.Length];
        var knownIds = live.Keys.ToHashSet(StringComparer.Ordinal);
        var abandoning = io.Interruption.Abandoning;
        io.Out.WriteLine();

        // No cancellation token here on purpose: it would cancel the requests in flight too.
        await Parallel.ForEachAsync(Enumerable.Range(0, work.Length), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, _) =>
        {
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            var persona = work[i];
            string line;
            try
            {
                (line, createdIds[i]) = await ApplyOneAsync(persona, prepared[i]!, client, live, knownIds, force, abandoning);
                outcomes[i] = Outcome.Applied;
            }
            catch (Exception ex) when (ex is TavusApiException or ApplyException)
            {
                outcomes[i] = Outcome.Failed;
                line = $"{persona.Address}: failed: {ex.Message}";
            }
            catch (OperationCanceledException) when (abandoning.IsCancellationRequested)
            {
                outcomes[i] = Outcome.Abandoned;
                line = $"{persona.Address}: abandoned after an interrupt; whether Tavus applied it is unknown, and the next plan shows it";
            }

            lock (io.Out)
            {
                io.Out.WriteLine(line);
            }
        });

        if (!stopping.IsCancellationRequested && createdIds.Any(id => id is not null))
        {
            try
            {
                await SettleCreateRacesAsync(io, work, outcomes, createdIds, client, knownIds, parallelism, abandoning);
            }
            catch (OperationCanceledException) when (abandoning.IsCancellationRequested)
            {
                io.Error.WriteLine("personaops: warning: interrupted while checking that no other apply created the same personas at the same time; the next plan shows any duplicate.");
            }
        }

        int Count(Outcome outcome, PlanAction? action = null) =>
            work.Where((p, i) => outcomes[i] == outcome && (action is null || p.Action == action)).Count();
        var done = $"{Count(Outcome.Applied, PlanAction.Create)} added, {Count(Outcome.Applied, PlanAction.Update)} changed, {Count(Outcome.Applied, PlanAction.Delete)} deleted";
        io.Out.WriteLine();
        if (Count(Outcome.Applied) == work.Length)
        {
            io.Out.WriteLine($"Apply complete! Personas: {done}.");
            return ExitCodes.Success;
        }

        var abandoned = Count(Outcome.Abandoned);
        var raced = Count(Outcome.CreatedElsewhere);
        io.Out.WriteLine($"Apply {(stopping.IsCancellationRequested ? "interrupted" : "incomplete")}. Personas: {done}, {Count(Outcome.Failed)} failed, {(abandoned > 0 ? $"{abandoned} abandoned, " : "")}{(raced > 0 ? $"{raced} created by another apply at the same time, " : "")}{Count(Outcome.NotAttempted)} not attempted.");
        foreach (var (persona, i) in work.Select((p, i) => (p, i)).Where(x => outcomes[x.i] == Outcome.NotAttempted))
        {
            io.Out.WriteLine($"  not attempted: {persona.Address} ({persona.Action.ToString().ToLowerInvariant()})");
        }

        if (raced > 0)
        {
            io.Error.WriteLine("personaops: error: another apply ran against this account at the same time. Each persona was kept once; run plan to see the result, and run applies in one concurrency group (see the README).");
            return ExitCodes.Error;
        }

        io.Error.WriteLine(stopping.IsCancellationRequested
            ? "personaops: error: apply was interrupted; run it again: it plans afresh and picks up where this run stopped, without creating anything twice."
            : "personaops: error: not every change was applied; fix the failures above and run apply again: it picks up where this run stopped.");
        return ExitCodes.Error;
    }

    /// <summary>What is sent for one change: the body of a create, or the patch of an update, secrets resolved.</summary>
    private sealed record Prepared(JsonObject? Body, Core.JsonPatch.JsonPatchDocument? Patch);

    private enum Outcome
    {
        NotAttempted,
        Applied,
        Failed,
        Abandoned,
        CreatedElsewhere,
    }

    /// <summary>
    /// Lists the account once after creating, to catch another apply that created the same personas at the
    /// same time (see <see cref="CreateRace"/>). Where the other copy wins, this run deletes its own.
    /// </summary>
    private static async Task SettleCreateRacesAsync(IOContext io, PersonaPlan[] work, Outcome[] outcomes, string?[] createdIds, TavusClient client, IReadOnlySet<string> knownBefore, int parallelism, CancellationToken cancellationToken)
    {
        var created = work.Select((p, i) => (p, i))
            .Where(x => createdIds[x.i] is not null && x.p.PersonaName is not null)
            .ToDictionary(x => createdIds[x.i]!, x => (Persona: new NewPersona(x.p.Address, x.p.PersonaName!, createdIds[x.i]!), Index: x.i), StringComparer.Ordinal);
        IReadOnlyList<JsonObject> listing;
        try
        {
            (listing, _) = await client.ListUserPersonasSeenAsync(cancellationToken);
        }
        catch (TavusApiException ex)
        {
            io.Error.WriteLine($"personaops: warning: could not list the account after creating, to check that no other apply created the same personas at the same time: {ex.Message}");
            return;
        }

        var races = CreateRace.Find([.. created.Values.Select(c => c.Persona)], listing, knownBefore);
        foreach (var race in races.Where(r => !r.WeLost))
        {
            io.Error.WriteLine($"personaops: warning: {race.Ours.Address}: another apply created '{race.Ours.PersonaName}' at the same time ({string.Join(", ", race.OtherIds)}); this run's copy {race.Ours.Id} is the one kept, and the other run removes its own.");
        }

        await Parallel.ForEachAsync(races.Where(r => r.WeLost), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (race, token) =>
        {
            outcomes[created[race.Ours.Id].Index] = Outcome.CreatedElsewhere;
            var found = $"{race.Ours.Address}: another apply created '{race.Ours.PersonaName}' at the same time as this one ({race.KeeperId}, kept)";
            string line;
            try
            {
                await client.DeletePersonaAsync(race.Ours.Id, token);
                line = $"{found}; this run removed its own copy {race.Ours.Id}, so there is one";
            }
            catch (TavusApiException ex)
            {
                line = $"{found}, and this run could not remove its own copy {race.Ours.Id}: {ex.Message}. Delete it by hand";
            }

            lock (io.Out)
            {
                io.Out.WriteLine(line);
            }
        });
    }

    private static async Task<(string Line, string? CreatedId)> ApplyOneAsync(PersonaPlan persona, Prepared prepared, TavusClient client, IReadOnlyDictionary<string, JsonObject> live, HashSet<string> knownIds, bool force, CancellationToken cancellationToken)
    {
        switch (persona.Action)
        {
            case PlanAction.Create:
            {
                var body = prepared.Body!;
                HashSet<string> snapshot;
                lock (knownIds)
                {
                    snapshot = [.. knownIds];
                }

                var created = await client.CreatePersonaAsync(body, snapshot, cancellationToken);
                lock (knownIds)
                {
                    knownIds.Add(created.Id);
                }

                return ($"{persona.Address}: created {created.Id}{(created.RecoveredAfterUnknownOutcome ? " (confirmed by listing after an interrupted request)" : "")}", created.Id);
            }

            case PlanAction.Update:
            {
                var patch = prepared.Patch!;
                if (!live.TryGetValue(persona.LiveId!, out var current))
                {
                    throw new ApplyException($"persona {persona.LiveId} is no longer in the account");
                }

                var check = patch.Apply(current);
                if (!check.Succeeded)
                {
                    throw new ApplyException($"the planned patch does not apply to the live persona ({check.Error}); nothing was sent. Make a new plan.");
                }

                try
                {
                    var outcome = await client.PatchPersonaAsync(persona.LiveId!, patch, force, cancellationToken);
                    return ($"{persona.Address}: updated {persona.LiveId}{(outcome == PatchOutcome.NotModified ? " (Tavus reported no change)" : "")}", null);
                }
                catch (TavusApiException ex) when (ex.Status is 400 or 422)
                {
                    // The patch was checked against this persona before it was sent, so a refusal may mean an
                    // earlier attempt was committed and its answer lost: read back before calling it failed.
                    var now = await client.GetPersonaAsync(persona.LiveId!, cancellationToken);
                    if (now is not null && ApplyPreparation.IsApplied(patch, now))
                    {
                        return ($"{persona.Address}: updated {persona.LiveId} (confirmed by reading back after an interrupted request)", null);
                    }

                    throw;
                }
            }

            default:
            {
                var deleted = await client.DeletePersonaAsync(persona.LiveId!, cancellationToken);
                return ($"{persona.Address}: {(deleted ? "deleted" : "already gone:")} {persona.LiveId}", null);
            }
        }
    }

    private sealed class ApplyException(string message) : Exception(message);
}
