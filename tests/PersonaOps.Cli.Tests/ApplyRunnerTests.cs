using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using PersonaOps.Cli.Applying;
using PersonaOps.Core.Applying;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Planning;
using PersonaOps.Tavus;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// The runner against a scripted API adapter, no HTTP: what it sends, in which order, and what it makes of
/// interrupts, lost answers and answers that lie.
/// </summary>
public sealed class ApplyRunnerTests
{
    private static readonly PlanKey Key = PlanKey.FromApiKey("apply-runner-test-key");

    /// <summary>An account in memory whose every answer the test can script.</summary>
    private sealed class ScriptedApi : IResourceApi
    {
        public ConcurrentDictionary<string, JsonObject> Account { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Calls { get; } = new();

        public Func<JsonObject, CancellationToken, Task<(string, bool)>>? OnCreate { get; set; }

        public Func<string, CancellationToken, Task<(bool, JsonObject?)>>? OnPatch { get; set; }

        /// <summary>What a DELETE does; by default the persona is removed and true (it existed) answered.</summary>
        public Func<string, bool>? OnDelete { get; set; }

        public string Kind => PersonaOps.Core.Kinds.PersonaKind.Identity.Kind;

        public Task<IReadOnlyList<JsonObject>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<JsonObject>>([.. Account.Values]);

        public Task<(IReadOnlyList<JsonObject> Resources, string? Problem)> ListSeenAsync(CancellationToken cancellationToken)
        {
            Calls.Enqueue("list");
            return Task.FromResult<(IReadOnlyList<JsonObject>, string?)>(([.. Account.Values], null));
        }

        public Task<JsonObject?> GetAsync(string id, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"get {id}");
            return Task.FromResult(Account.TryGetValue(id, out var p) ? (JsonObject?)p.DeepClone().AsObject() : null);
        }

        public async Task<(string Id, bool Recovered)> CreateAsync(JsonObject body, IReadOnlySet<string> knownIds, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"create {body["persona_name"]}");
            if (OnCreate is not null)
            {
                return await OnCreate(body, cancellationToken);
            }

            var id = "p-" + body["persona_name"]!.GetValue<string>().ToLowerInvariant();
            var stored = body.DeepClone().AsObject();
            stored["persona_id"] = id;
            stored["created_at"] = "2026-12-02T10:00:00Z";
            Account[id] = stored;
            return (id, false);
        }

        /// <summary>By default the patch is applied and the answer is the persona, as a well-behaved API answers.</summary>
        public async Task<(bool NotModified, JsonObject? Answer)> PatchAsync(string id, JsonPatchDocument patch, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"patch {id}");
            if (OnPatch is not null)
            {
                return await OnPatch(id, cancellationToken);
            }

            Account[id] = patch.Apply(Account[id]).Document!.AsObject();
            return (false, Account[id].DeepClone().AsObject());
        }

        public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"delete {id}");
            return Task.FromResult(OnDelete?.Invoke(id) ?? Account.TryRemove(id, out _));
        }
    }

    private static JsonObject Live(string id, string name) => new() { ["persona_id"] = id, ["persona_name"] = name, ["system_prompt"] = "Old", ["context"] = "c" };

    private static PersonaPlan Create(string name, string personaName) => new(
        name, $"personas/{name}.yaml", 1, null, personaName, PlanAction.Create, new JsonPatchDocument([]),
        new JsonObject { ["persona_name"] = personaName, ["system_prompt"] = "You help." }, [], [], null, []);

    private static PersonaPlan Update(string name, JsonObject live, string patch) => new(
        name, $"personas/{name}.yaml", 1, live["persona_id"]!.GetValue<string>(), live["persona_name"]!.GetValue<string>(), PlanAction.Update,
        JsonPatchDocument.TryParse(patch, out var p, out var error) ? p : throw new InvalidOperationException(error), null, [], [], Key.Document(live), []);

    private static PersonaPlan Delete(string name, JsonObject live) => new(
        name, $"personas/{name}.yaml", 1, live["persona_id"]!.GetValue<string>(), live["persona_name"]!.GetValue<string>(), PlanAction.Delete,
        new JsonPatchDocument([]), null, [], [], Key.Document(live), []);

    private static async Task<ApplyReport> RunAsync(ScriptedApi api, Plan plan, List<ResourceResult>? seen = null, int parallelism = 1, CancellationToken stopping = default, CancellationToken abandoning = default)
    {
        var live = ApplyPreparation.IndexById(api.Account.Values);
        var preparation = ApplyPreparation.Prepare(plan, _ => null, live, Key);
        preparation.CanStart.ShouldBeTrue(string.Join("\n", preparation.Problems));
        using var error = new StringWriter();
        using var progress = new ApplyProgress(error, TimeProvider.System, enabled: false);
        var runner = new ApplyRunner(new Dictionary<string, IResourceApi> { [api.Kind] = api }, parallelism, progress);
        return await runner.RunAsync(plan, preparation, live.Keys, r =>
        {
            lock (seen ?? [])
            {
                seen?.Add(r);
            }
        }, stopping, abandoning);
    }

    [Fact]
    public async Task TheWork_IsSentCreatesFirstThenUpdatesThenDeletes_AndEveryResultIsReported()
    {
        var api = new ScriptedApi();
        var coach = Live("p-coach", "Coach");
        var old = Live("p-old", "Old");
        api.Account[coach["persona_id"]!.GetValue<string>()] = coach;
        api.Account["p-old"] = old;
        var seen = new List<ResourceResult>();

        var report = await RunAsync(api, new Plan("t", [Delete("old", old), Update("coach", coach, """[{"op":"replace","path":"/system_prompt","value":"New"}]"""), Create("guide", "Guide")], []), seen: seen);

        // The patch's answer shows the target, so it is not read back; a delete's answer shows nothing, so it is.
        api.Calls.ShouldBe(["create Guide", "patch p-coach", "delete p-old", "get p-old", "list"]);
        report.ExitCode.ShouldBe(0);
        report.Counts.ShouldBe(new ApplyCounts(1, 1, 1, 0, 0, 0, 0, 0));
        seen.Select(r => r.Address).ShouldBe(["persona.guide", "persona.coach", "persona.old"]);
        api.Account["p-coach"]["system_prompt"]!.GetValue<string>().ShouldBe("New");
    }

    [Fact]
    public async Task AfterTheFirstInterrupt_NothingNewStarts_AndWhatIsInFlightFinishes()
    {
        var api = new ScriptedApi();
        using var stopping = new CancellationTokenSource();
        api.OnCreate = async (body, _) =>
        {
            // The interrupt comes while the first create is in flight; that create still completes.
            await stopping.CancelAsync();
            await Task.Delay(50, CancellationToken.None);
            return ("p-first", false);
        };

        var report = await RunAsync(api, new Plan("t", [Create("a", "A"), Create("b", "B"), Create("c", "C")], []), stopping: stopping.Token);

        // No race listing either: an interrupted run starts nothing new.
        api.Calls.ShouldBe(["create A"]);
        report.Interrupted.ShouldBeTrue();
        report.Resources.Select(r => r.Outcome).ShouldBe([ApplyOutcome.Applied, ApplyOutcome.NotAttempted, ApplyOutcome.NotAttempted]);
        report.ExitCode.ShouldBe(1);
    }

    [Fact]
    public async Task ASecondInterrupt_AbandonsWhatIsInFlight_AsUnknown()
    {
        var api = new ScriptedApi();
        using var stopping = new CancellationTokenSource();
        using var abandoning = new CancellationTokenSource();
        api.OnCreate = async (_, token) =>
        {
            await stopping.CancelAsync();
            await abandoning.CancelAsync();
            await Task.Delay(Timeout.Infinite, token);
            return ("never", false);
        };

        var report = await RunAsync(api, new Plan("t", [Create("a", "A"), Create("b", "B")], []), stopping: stopping.Token, abandoning: abandoning.Token);

        report.Resources.Select(r => r.Outcome).ShouldBe([ApplyOutcome.Abandoned, ApplyOutcome.NotAttempted]);
        report.Resources[0].Id.ShouldBeNull();
    }

    [Fact]
    public async Task ALostPatchAnswer_ConfirmedByReadingBack_IsApplied_AndOneThatIsNot_Fails()
    {
        var api = new ScriptedApi();
        var coach = Live("p-coach", "Coach");
        var tutor = Live("p-tutor", "Tutor");
        api.Account["p-coach"] = coach;
        api.Account["p-tutor"] = tutor;
        const string patch = """[{"op":"replace","path":"/system_prompt","value":"New"},{"op":"remove","path":"/context"}]""";
        api.OnPatch = (id, _) =>
        {
            if (id == "p-coach")
            {
                // The first attempt was committed and its answer lost; the retry's remove finds nothing to remove.
                api.Account[id] = new JsonObject { ["persona_id"] = id, ["persona_name"] = "Coach", ["system_prompt"] = "New" };
            }

            throw new TavusApiException(422, $"PATCH /v2/personas/{id} answered 422 Unprocessable Entity.");
        };

        var report = await RunAsync(api, new Plan("t", [Update("coach", coach, patch), Update("tutor", tutor, patch)], []));

        var coachResult = report.Resources.Single(r => r.Address == "persona.coach");
        coachResult.Outcome.ShouldBe(ApplyOutcome.Applied);
        coachResult.Message.ShouldContain("confirmed by reading back");
        var tutorResult = report.Resources.Single(r => r.Address == "persona.tutor");
        tutorResult.Outcome.ShouldBe(ApplyOutcome.Failed);
        tutorResult.Message.ShouldBe("PATCH /v2/personas/p-tutor answered 422 Unprocessable Entity.");
        api.Calls.ShouldContain("get p-coach");
    }

    [Fact]
    public async Task APatchAnsweredWithSuccessThatProvesNothing_IsReadBack_AndJudgedByWhatTavusShows()
    {
        var api = new ScriptedApi();
        foreach (var id in new[] { "p-applied", "p-ignored", "p-already", "p-lying" })
        {
            api.Account[id] = Live(id, id);
        }

        const string patch = """[{"op":"replace","path":"/system_prompt","value":"New"}]""";
        var plans = api.Account.Values.Select(p => Update(p["persona_id"]!.GetValue<string>()[2..], p.DeepClone().AsObject(), patch)).ToArray();
        api.OnPatch = (id, _) =>
        {
            switch (id)
            {
                case "p-applied": // applied, answered with an empty 200
                    api.Account[id]["system_prompt"] = "New";
                    return Task.FromResult<(bool, JsonObject?)>((false, null));
                case "p-ignored": // not applied, answered 304
                    return Task.FromResult<(bool, JsonObject?)>((true, null));
                case "p-already": // the change was there already: 304, and the persona shows it
                    api.Account[id]["system_prompt"] = "New";
                    return Task.FromResult<(bool, JsonObject?)>((true, null));
                default: // not applied, answered 200 with the persona as it still is
                    return Task.FromResult<(bool, JsonObject?)>((false, api.Account[id].DeepClone().AsObject()));
            }
        };

        var report = await RunAsync(api, new Plan("t", plans, []));

        string Outcome(string address) => ApplyReport.OutcomeName(report.Resources.Single(r => r.Address == address).Outcome);
        Outcome("persona.applied").ShouldBe("applied");
        Outcome("persona.already").ShouldBe("unchanged");
        Outcome("persona.ignored").ShouldBe("not_converged");
        Outcome("persona.lying").ShouldBe("not_converged");
        report.Resources.Single(r => r.Address == "persona.lying").Fields.ShouldBe(["/system_prompt"]);
        report.ExitCode.ShouldBe(1);
        report.Counts.NotConverged.ShouldBe(2);
        foreach (var id in api.Account.Keys)
        {
            api.Calls.Count(c => c == $"patch {id}").ShouldBe(1, "nothing is sent twice");
            api.Calls.ShouldContain($"get {id}");
        }
    }

    [Fact]
    public async Task ADeleteAnsweredWithSuccess_WhosePersonaIsStillThere_IsNotConverged()
    {
        var api = new ScriptedApi();
        var old = Live("p-old", "Old");
        api.Account["p-old"] = old;
        api.OnDelete = _ => true;

        var report = await RunAsync(api, new Plan("t", [Delete("old", old)], []));

        var result = report.Resources.Single();
        result.Outcome.ShouldBe(ApplyOutcome.NotConverged);
        result.Message.ShouldBe("Tavus answered the delete of p-old with success, but the persona is still there when read back");
        report.ExitCode.ShouldBe(1);
        api.Calls.ShouldBe(["delete p-old", "get p-old"]);
    }

    [Fact]
    public async Task APatchAnsweredWithSuccess_WhosePersonaIsGoneWhenReadBack_Fails()
    {
        var api = new ScriptedApi();
        var coach = Live("p-coach", "Coach");
        api.Account["p-coach"] = coach;
        api.OnPatch = (id, _) =>
        {
            api.Account.TryRemove(id, out JsonObject? _);
            return Task.FromResult<(bool, JsonObject?)>((false, null));
        };

        var report = await RunAsync(api, new Plan("t", [Update("coach", coach, """[{"op":"replace","path":"/system_prompt","value":"New"}]""")], []));

        report.Resources.Single().Outcome.ShouldBe(ApplyOutcome.Failed);
        report.Resources.Single().Message.ShouldBe("Tavus answered the update of p-coach with success, but the persona is gone when read back");
    }

    [Fact]
    public async Task ACreateThatTavusStoredWithoutAField_IsNotConverged_FromTheListingAfterTheCreates_WithNoExtraRequest()
    {
        var api = new ScriptedApi();
        api.OnCreate = (body, _) =>
        {
            var id = "p-guide";
            api.Account[id] = new JsonObject { ["persona_id"] = id, ["persona_name"] = body["persona_name"]!.DeepClone(), ["created_at"] = "2026-12-02T10:00:00Z" };
            return Task.FromResult((id, false));
        };
        var seen = new List<ResourceResult>();

        var report = await RunAsync(api, new Plan("t", [Create("guide", "Guide")], []), seen: seen);

        var result = report.Resources.Single();
        result.Outcome.ShouldBe(ApplyOutcome.NotConverged);
        result.Id.ShouldBe("p-guide");
        result.Fields.ShouldBe(["/system_prompt"]);
        result.Message.ShouldBe("Tavus created p-guide, but listing it shows system_prompt not as sent");
        seen.Select(r => r.Outcome).ShouldBe([ApplyOutcome.Applied, ApplyOutcome.NotConverged], "the create's line, then the check's");
        api.Calls.ShouldBe(["create Guide", "list"]);
        report.ExitCode.ShouldBe(1);
    }

    [Fact]
    public async Task AMakerChangesRefusal_IsAFailure_WithoutAReadBack()
    {
        var api = new ScriptedApi();
        var coach = Live("p-coach", "Coach");
        api.Account["p-coach"] = coach;
        api.OnPatch = (id, _) => throw new MakerChangesException(id);

        var report = await RunAsync(api, new Plan("t", [Update("coach", coach, """[{"op":"replace","path":"/system_prompt","value":"New"}]""")], []));

        report.Resources.Single().Outcome.ShouldBe(ApplyOutcome.Failed);
        report.Resources.Single().Message.ShouldContain("--force");
        api.Calls.ShouldNotContain("get p-coach");
    }

    [Fact]
    public async Task ACreateAnsweredWithAnExistingId_Fails_AndThatPersonaIsNeverDeletedAsARaceLoser()
    {
        var api = new ScriptedApi();
        var tutor = Live("p-tutor", "Guide");
        api.Account["p-tutor"] = tutor;
        api.OnCreate = (_, _) => Task.FromResult(("p-tutor", false));

        var report = await RunAsync(api, new Plan("t", [Create("guide", "Guide")], []));

        report.Resources.Single().Outcome.ShouldBe(ApplyOutcome.Failed);
        api.Calls.ShouldNotContain("delete p-tutor");
        api.Account.ContainsKey("p-tutor").ShouldBeTrue();
    }

    [Fact]
    public async Task ALostCreateRace_RemovesOnlyThisRunsCopy_AndIsReportedAsCreatedElsewhere()
    {
        var api = new ScriptedApi();
        api.OnCreate = (body, _) =>
        {
            // Another apply's copy landed a moment earlier; then ours.
            api.Account["p-theirs"] = new JsonObject { ["persona_id"] = "p-theirs", ["persona_name"] = "Guide", ["created_at"] = "2026-12-02T10:00:00Z" };
            api.Account["p-ours"] = new JsonObject { ["persona_id"] = "p-ours", ["persona_name"] = "Guide", ["created_at"] = "2026-12-02T10:00:01Z" };
            return Task.FromResult(("p-ours", false));
        };
        var seen = new List<ResourceResult>();

        var report = await RunAsync(api, new Plan("t", [Create("guide", "Guide")], []), seen: seen);

        api.Calls.ShouldBe(["create Guide", "list", "delete p-ours"]);
        api.Account.Keys.ShouldBe(["p-theirs"]);
        var result = report.Resources.Single();
        result.Outcome.ShouldBe(ApplyOutcome.CreatedElsewhere);
        result.Id.ShouldBe("p-theirs");
        seen.Select(r => r.Outcome).ShouldBe([ApplyOutcome.Applied, ApplyOutcome.CreatedElsewhere], "the create's line, then the settlement's");
        report.ExitCode.ShouldBe(1);
    }

    [Fact]
    public async Task ARefusedChange_IsNeverSent()
    {
        var api = new ScriptedApi();
        var coach = Live("p-coach", "Coach");
        api.Account["p-coach"] = coach;

        // The plan removes a field the live persona no longer has.
        var edited = coach.DeepClone().AsObject();
        edited.Remove("context");
        api.Account["p-coach"] = edited;

        var report = await RunAsync(api, new Plan("t", [Update("coach", coach, """[{"op":"remove","path":"/context"}]""")], []));

        report.Resources.Single().Outcome.ShouldBe(ApplyOutcome.Failed);
        api.Calls.ShouldBeEmpty();
    }
}
