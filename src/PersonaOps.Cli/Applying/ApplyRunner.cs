using PersonaOps.Core.Applying;
using PersonaOps.Core.Planning;
using PersonaOps.Tavus;

namespace PersonaOps.Cli.Applying;

/// <summary>
/// Runs a prepared apply against the API: the only part of apply that waits on anything. The rules (what
/// an answer means, who wins a create race, what the report says) are Core's; this sends the requests,
/// with bounded parallelism, one API adapter per kind, and honours interrupts:
/// <list type="bullet">
/// <item><c>stopping</c> (the first Ctrl+C or SIGTERM) starts nothing new; the requests in flight go on;</item>
/// <item><c>abandoning</c> (a second interrupt, or the end of the grace period) cancels them: their
/// outcome is unknown and reported as abandoned.</item>
/// </list>
/// </summary>
internal sealed class ApplyRunner(IReadOnlyDictionary<string, IResourceApi> apis, int parallelism, ApplyProgress progress)
{
    /// <summary>The known ids handed to a change that does not read them (an update or a delete); never changed.</summary>
    private static readonly HashSet<string> NoIds = [];

    /// <param name="knownIds">Every id the account held when the apply started: no create may answer with one of them.</param>
    /// <param name="finished">Told of each result as it is known (the text output prints it then).</param>
    public async Task<ApplyReport> RunAsync(Plan plan, Preparation preparation, IEnumerable<string> knownIds, Action<ResourceResult> finished, CancellationToken stopping, CancellationToken abandoning)
    {
        var changes = preparation.Changes;
        var results = new ResourceResult?[changes.Count];
        var known = new HashSet<string>(knownIds, StringComparer.Ordinal);
        var warnings = new List<string>();

        // No cancellation token here on purpose: it would cancel the requests in flight too. Items start in
        // the prepared order (Parallel.ForEachAsync takes them from the sequence one at a time).
        await Parallel.ForEachAsync(Enumerable.Range(0, changes.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, _) =>
        {
            if (stopping.IsCancellationRequested)
            {
                return;
            }

            progress.Started();
            var result = await RunOneAsync(changes[i], known, abandoning);
            results[i] = result;
            progress.Finished();
            finished(result);
        });

        if (!stopping.IsCancellationRequested && results.Any(r => r is { Action: PlanAction.Create, Outcome: ApplyOutcome.Applied }))
        {
            try
            {
                await SettleCreateRacesAsync(changes, results, known, warnings, finished, abandoning);
            }
            catch (OperationCanceledException) when (abandoning.IsCancellationRequested)
            {
                warnings.Add("interrupted while checking that no other apply created the same personas at the same time; the next plan shows any duplicate.");
            }
        }

        return ApplyReport.Create(plan, changes, results, stopping.IsCancellationRequested, warnings);
    }

    private async Task<ResourceResult> RunOneAsync(PreparedChange change, HashSet<string> known, CancellationToken abandoning)
    {
        if (change.Refusal is { } refusal)
        {
            return ApplyClassifier.Refused(change, refusal);
        }

        var api = apis[change.Kind];

        // Only a create reads the known ids (to recover a lost answer, and to refuse an id that already
        // existed), so only a create pays for a copy: one per change would cost a plan of 10,000 updates
        // 10,000 copies of 10,000 ids.
        var snapshot = NoIds;
        if (change.Action == PlanAction.Create)
        {
            lock (known)
            {
                snapshot = [.. known];
            }
        }

        ApiAnswer answer;
        try
        {
            answer = await SendAsync(api, change, snapshot, abandoning);
        }
        catch (TavusApiException ex)
        {
            answer = new ApiAnswer.Failed(ex.Message);
        }
        catch (OperationCanceledException) when (abandoning.IsCancellationRequested)
        {
            answer = new ApiAnswer.Abandoned();
        }

        var result = ApplyClassifier.Classify(change, answer, snapshot);
        if (result is { Action: PlanAction.Create, Outcome: ApplyOutcome.Applied, Id: { } id })
        {
            // Checked and taken at once: two creates in flight together, answered with one id, would both pass
            // the snapshot check (and the race rule would then hold one id for two personas). The first is taken.
            bool taken;
            lock (known)
            {
                taken = known.Add(id);
            }

            if (!taken)
            {
                result = ApplyClassifier.IdGivenTwice(change, id);
            }
        }

        return result;
    }

    private static async Task<ApiAnswer> SendAsync(IResourceApi api, PreparedChange change, IReadOnlySet<string> knownIds, CancellationToken cancellationToken)
    {
        var id = change.Plan.LiveId!;
        switch (change.Action)
        {
            case PlanAction.Create:
            {
                var (created, recovered) = await api.CreateAsync(change.Body!, knownIds, cancellationToken);
                return new ApiAnswer.Created(created, recovered);
            }

            case PlanAction.Update:
                ApiAnswer.Patched patched;
                try
                {
                    var (notModified, answered) = await api.PatchAsync(id, change.Patch!, cancellationToken);
                    patched = new ApiAnswer.Patched(notModified, answered);
                }
                catch (TavusApiException ex) when (ApplyClassifier.ShouldReadBack(ex.Status))
                {
                    return new ApiAnswer.PatchRefused(ex.Status, ex.Message, await api.GetAsync(id, cancellationToken));
                }

                // A status proves nothing about what Tavus stored: unless the answer shows the target, read it back.
                return ApplyClassifier.NeedsReadBack(change, patched)
                    ? await ReadBackAsync(api, id, "update", patched.NotModified ? "304 (no change)" : "success", persona => patched with { ReadBack = new ReadBack(persona) }, cancellationToken)
                    : patched;

            default:
                if (!await api.DeleteAsync(id, cancellationToken))
                {
                    return new ApiAnswer.Deleted(AlreadyGone: true);
                }

                return await ReadBackAsync(api, id, "delete", "success", persona => new ApiAnswer.Deleted(AlreadyGone: false, new ReadBack(persona)), cancellationToken);
        }
    }

    /// <summary>
    /// Reads <paramref name="id"/> after a change answered with success, for the classifier to judge; a read
    /// that fails leaves the outcome unknown, which is a failure that says so (nothing is sent again).
    /// </summary>
    private static async Task<ApiAnswer> ReadBackAsync(IResourceApi api, string id, string change, string said, Func<System.Text.Json.Nodes.JsonObject?, ApiAnswer> answer, CancellationToken cancellationToken)
    {
        try
        {
            return answer(await api.GetAsync(id, cancellationToken));
        }
        catch (TavusApiException ex)
        {
            return new ApiAnswer.Failed($"Tavus answered the {change} of {id} with {said}, but reading it back to confirm failed ({ex.Message}); whether it was applied is unknown, and the next plan shows it");
        }
    }

    /// <summary>
    /// Lists the account once after creating, to catch another apply that created the same personas at the
    /// same time (see <see cref="CreateRace"/>). Where the other copy wins, this run deletes its own.
    /// </summary>
    private async Task SettleCreateRacesAsync(IReadOnlyList<PreparedChange> changes, ResourceResult?[] results, IReadOnlySet<string> knownAfter, List<string> warnings, Action<ResourceResult> finished, CancellationToken cancellationToken)
    {
        var created = changes.Select((c, i) => (Change: c, Index: i))
            .Where(x => results[x.Index] is { Action: PlanAction.Create, Outcome: ApplyOutcome.Applied, Id: not null } && x.Change.Plan.PersonaName is not null)
            .ToDictionary(x => results[x.Index]!.Id!, x => (Persona: new NewPersona(x.Change.Address, x.Change.Plan.PersonaName!, results[x.Index]!.Id!), x.Index), StringComparer.Ordinal);
        var api = apis[Core.Kinds.PersonaKind.Identity.Kind];
        IReadOnlyList<System.Text.Json.Nodes.JsonObject> listing;
        try
        {
            (listing, _) = await api.ListSeenAsync(cancellationToken);
        }
        catch (TavusApiException ex)
        {
            warnings.Add($"could not list the account after creating, to check that no other apply created the same personas at the same time: {ex.Message}");
            return;
        }

        var races = CreateRace.Find([.. created.Values.Select(c => c.Persona)], listing, knownAfter);

        // The listing is also the first sight of what each create stored (Tavus answers a create with its id and
        // name only): a persona kept that is not what was sent is reported as not converged.
        var listed = ApplyPreparation.IndexById(listing);
        var losers = races.Where(r => r.WeLost).Select(r => r.Ours.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, (_, index)) in created.Where(c => !losers.Contains(c.Key)))
        {
            var checkedResult = ApplyClassifier.CheckCreated(changes[index], results[index]!, listed.GetValueOrDefault(id));
            if (checkedResult != results[index])
            {
                results[index] = checkedResult;
                finished(checkedResult);
            }
        }

        warnings.AddRange(races.Where(r => !r.WeLost).Select(CreateRace.Won));
        await Parallel.ForEachAsync(races.Where(r => r.WeLost), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (race, token) =>
        {
            string? error = null;
            try
            {
                await api.DeleteAsync(race.Ours.Id, token);
            }
            catch (TavusApiException ex)
            {
                error = ex.Message;
            }

            var result = CreateRace.Lost(race, error);
            results[created[race.Ours.Id].Index] = result;
            finished(result);
        });
    }
}
