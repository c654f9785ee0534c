using System.Text.Json.Nodes;
using PersonaOps.Core.Planning;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>plan, apply, drift and show end to end, in-process, against the embedded sandbox.</summary>
public sealed class ReconcileTests
{
    private const string Canary = "sk-CANARY-7f3a9b";

    private static readonly Dictionary<string, string> Env = new() { ["OPENAI_API_KEY"] = Canary };

    private static string Coach(string prompt = "You coach people.\nAsk one question at a time.\nBe kind.", string extra = "") => $$"""
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: |
        {{string.Join("\n", prompt.Split('\n').Select(l => "    " + l))}}
          layers:
            llm:
              model: my-llm
              base_url: https://llm.example.com/v1
              api_key: ${env:OPENAI_API_KEY}
            stt:
              hotwords: Tavus
        {{extra}}
        """;

    private static PersonaRecord Live(TempProject project) =>
        WithStore(project, store => store.List("user", 100, 0).Page.Single());

    private static T WithStore<T>(TempProject project, Func<PersonaStore, T> action)
    {
        using var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db"));
        return action(store);
    }

    private static Task<CliResult> Run(TempProject project, params string[] args) => CliRunner.RunAsync(project.Root, Env, args);

    [Fact]
    public async Task PlanApplyPlan_Converges_AndTheSecondPlanIsClean()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());

        var plan = await Run(project, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(2, plan.Stderr);
        plan.Stdout.ShouldContain("# persona.coach (personas/coach.yaml) will be created");
        plan.Stdout.ShouldContain("+ layers.llm.api_key");
        plan.Stdout.ShouldContain("Plan: 1 to add, 0 to change, 0 to delete.");
        plan.Stderr.ShouldContain("using the local sandbox (.personaops/sandbox.db)");

        var apply = await Run(project, "apply", "--auto-approve");
        apply.ExitCode.ShouldBe(0, apply.Stderr);
        apply.Stdout.ShouldContain("Apply complete! Personas: 1 added, 0 changed, 0 deleted.");
        Live(project).Body["layers"]!["llm"]!["api_key"]!.GetValue<string>().ShouldBe(Canary);

        var again = await Run(project, "plan", "--detailed-exitcode");
        again.ExitCode.ShouldBe(0, again.Stdout);
        again.Stdout.ShouldContain("No changes.");

        foreach (var output in new[] { plan, apply, again })
        {
            (output.Stdout + output.Stderr).ShouldNotContain(Canary);
        }
    }

    [Fact]
    public async Task AnEditedPrompt_IsALineDiff_AndARemovedField_IsRemoved()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);

        project.Write("personas/coach.yaml", Coach("You coach people.\nAsk two questions at a time.\nBe kind.").Replace("    stt:\n      hotwords: Tavus\n", ""));
        var plan = await Run(project, "plan");
        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain("# persona.coach (personas/coach.yaml) [p");
        plan.Stdout.ShouldContain("- Ask one question at a time.");
        plan.Stdout.ShouldContain("+ Ask two questions at a time.");
        plan.Stdout.ShouldContain("- layers.stt.hotwords");
        plan.Stdout.ShouldContain("Plan: 0 to add, 1 to change, 0 to delete.");

        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        Live(project).Body["layers"]!["stt"]!.AsObject().ContainsKey("hotwords").ShouldBeFalse();
        (await Run(project, "plan", "--detailed-exitcode")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task ADashboardEdit_IsDrift_NamingTheField()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        WithStore(project, store =>
        {
            var id = store.List("user", 10, 0).Page.Single().Id;
            return store.Update(id, r =>
            {
                var body = r.Body.DeepClone().AsObject();
                body["layers"]!["stt"]!["hotwords"] = "Edited in the dashboard";
                return new UpdateDecision.Store(body, false);
            });
        });

        var drift = await Run(project, "drift");
        drift.ExitCode.ShouldBe(2);
        drift.Stdout.ShouldContain("~ layers.stt.hotwords: live \"Edited in the dashboard\", in Git \"Tavus\"", customMessage: drift.Stdout);
        drift.Stdout.ShouldContain("changed outside PersonaOps");
    }

    [Fact]
    public async Task EnsureAbsent_DeletesThePersona()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        project.Write("personas/coach.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\n  ensure: absent\nspec:\n  persona_name: Coach\n");
        var apply = await Run(project, "apply", "--auto-approve");
        apply.ExitCode.ShouldBe(0, apply.Stderr);
        apply.Stdout.ShouldContain("Plan: 0 to add, 0 to change, 1 to delete.");
        WithStore(project, store => store.List("user", 10, 0).Total).ShouldBe(0);
        (await Run(project, "plan", "--detailed-exitcode")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task AnAmbiguousName_IsAnError_ListingTheIds()
    {
        using var project = new TempProject();
        var ids = WithStore(project, store => new[]
        {
            store.Create(new JsonObject { ["persona_name"] = "Coach", ["system_prompt"] = "a" }).Id,
            store.Create(new JsonObject { ["persona_name"] = "Coach", ["system_prompt"] = "b" }).Id,
        });
        project.Write("personas/coach.yaml", Coach());
        var plan = await Run(project, "plan");
        plan.ExitCode.ShouldBe(1);
        plan.Stderr.ShouldContain($"2 live personas are named 'Coach' ({ids[0]}, {ids[1]})");
        plan.Stderr.ShouldContain("metadata.id");
        plan.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task AMissingVariable_IsAnError_NamingFileLineAndVariable_BeforeAnyApiCall()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach().Replace("base_url: https://llm.example.com/v1", "base_url: ${env:LLM_URL}"));
        var plan = await Run(project, "plan");
        plan.ExitCode.ShouldBe(1);
        plan.Stderr.ShouldContain("personas/coach.yaml(14,17): error PO3007: spec.layers.llm.base_url references ${env:LLM_URL}, but LLM_URL is not set.");
        plan.Stderr.ShouldContain("nothing was sent to the API");

        // apply needs every secret too, and says so before it sends anything.
        project.Write("personas/coach.yaml", Coach());
        var apply = await CliRunner.RunAsync(project.Root, new Dictionary<string, string>(), "apply", "--auto-approve");
        apply.ExitCode.ShouldBe(1);
        apply.Stderr.ShouldContain("error PO3007: spec.layers.llm.api_key references ${env:OPENAI_API_KEY}, but OPENAI_API_KEY is not set; apply needs every secret it may send.");
        apply.Stdout.ShouldBeEmpty();
        WithStore(project, store => store.List("user", 10, 0).Total).ShouldBe(0);
    }

    [Fact]
    public async Task InvalidManifests_StopBeforeAnyApiCall()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach().Replace("model: my-llm", "modle: my-llm"));
        var plan = await Run(project, "plan");
        plan.ExitCode.ShouldBe(1);
        plan.Stderr.ShouldContain("error PO2003");
        plan.Stderr.ShouldContain("nothing was sent to the API");
        File.Exists(Path.Combine(project.Root, ".personaops", "sandbox.db")).ShouldBeFalse();
    }

    [Fact]
    public async Task ASavedPlan_IsAppliedExactly_OrRefusedWithExit3WhenStale()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        project.Write("personas/coach.yaml", Coach("A new prompt."));
        (await Run(project, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var saved = File.ReadAllText(Path.Combine(project.Root, "plan.json"));
        saved.ShouldNotContain(Canary);

        var show = await Run(project, "show", "plan.json");
        show.ExitCode.ShouldBe(0);
        show.Stdout.ShouldContain("+ A new prompt.");

        WithStore(project, store => store.Update(store.List("user", 10, 0).Page.Single().Id, r =>
        {
            var body = r.Body.DeepClone().AsObject();
            body["persona_name"] = "Someone else";
            return new UpdateDecision.Store(body, false);
        }));
        var stale = await Run(project, "apply", "plan.json");
        stale.ExitCode.ShouldBe(3, stale.Stderr);
        stale.Stderr.ShouldContain("the saved plan is stale");
        Live(project).Body["system_prompt"]!.GetValue<string>().ShouldNotContain("A new prompt.");

        WithStore(project, store => store.Update(store.List("user", 10, 0).Page.Single().Id, r =>
        {
            var body = r.Body.DeepClone().AsObject();
            body["persona_name"] = "Coach";
            return new UpdateDecision.Store(body, false);
        }));
        (await Run(project, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var applied = await Run(project, "apply", "plan.json");
        applied.ExitCode.ShouldBe(0, applied.Stderr);
        Live(project).Body["system_prompt"]!.GetValue<string>().ShouldBe("A new prompt.\n");
    }

    [Fact]
    public async Task ASavedPlan_WhoseSecretChangedOrIsMissing_IsRefusedWhole_BeforeAnyRequest()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        project.Write("personas/tutor.yaml", Coach().Replace("name: coach", "name: tutor").Replace("persona_name: Coach", "persona_name: Tutor"));
        (await Run(project, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);

        var rotated = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["OPENAI_API_KEY"] = "sk-CANARY-rotated" }, "apply", "plan.json");
        var missing = await CliRunner.RunAsync(project.Root, new Dictionary<string, string>(), "apply", "plan.json");

        rotated.ExitCode.ShouldBe(1);
        rotated.Stderr.ShouldContain("personas/coach.yaml(1,1): error PO5004: the value of the secret spec.layers.llm.api_key is not the one the plan was made with; make a new plan.");
        rotated.Stderr.ShouldContain("personas/tutor.yaml(1,1): error PO5004");
        rotated.Stderr.ShouldContain("nothing was applied");
        missing.ExitCode.ShouldBe(1);
        missing.Stderr.ShouldContain("the environment variable OPENAI_API_KEY is not set");
        (rotated.Stdout + rotated.Stderr + missing.Stdout + missing.Stderr).ShouldNotContain("CANARY");
        WithStore(project, store => store.List("user", 10, 0).Total).ShouldBe(0, "neither persona was created: the apply stopped before its first request");
    }

    [Fact]
    public async Task APlanFileThatCannotBeSaved_IsAnError_AndNoPlanIsPrinted()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());

        var result = await Run(project, "plan", "--out", "no-such-folder/plan.json");

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("personaops: error: cannot save the plan to no-such-folder/plan.json");
        result.Stderr.ShouldNotContain("internal error");
        result.Stdout.ShouldBeEmpty("a plan that was not saved is not shown as if it were");
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("drift")]
    [InlineData("show", "plan.json")]
    public async Task GitHubOutput_IsValidatesAlone_AndRefusedAsUsageForAPlan(params string[] command)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());

        var result = await Run(project, [.. command, "--output", "github"]);

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain($"--output must be text, json or markdown for {command[0]}, not 'github'.");
        File.Exists(Path.Combine(project.Root, ".personaops", "sandbox.db")).ShouldBeFalse("refused before any target was opened");
    }

    [Fact]
    public async Task ATamperedPlanFile_IsRefused()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        (await Run(project, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var path = Path.Combine(project.Root, "plan.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("my-llm", "evil-llm"));
        var apply = await Run(project, "apply", "plan.json");
        apply.ExitCode.ShouldBe(3, "an edited plan is not the plan that was reviewed: refused as a stale one is");
        apply.Stderr.ShouldContain("modified after it was written");
    }

    [Fact]
    public async Task APlanFileEditedAndRefingerprinted_IsRefusedByItsSeal_BeforeAnyRequest()
    {
        // The fingerprint is a checksum anyone can recompute; the seal is keyed by the account's key.
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        (await Run(project, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var path = Path.Combine(project.Root, "plan.json");
        PlanDocument.TryParse(File.ReadAllText(path), out var plan, out var error).ShouldBeTrue(error);
        var create = plan!.Personas.Single();
        var body = create.Body!.DeepClone().AsObject();
        body["system_prompt"] = "You obey everyone.";
        var forged = plan with { Personas = [create with { Body = body }] };
        File.WriteAllText(path, PlanDocument.Serialize(forged));
        PlanDocument.TryParse(File.ReadAllText(path), out _, out var forgedError).ShouldBeTrue(forgedError + ": the forgery passes the fingerprint check");

        var apply = await Run(project, "apply", "plan.json");
        var stripped = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        stripped.Remove("plan_seal");
        File.WriteAllText(path, stripped.ToJsonString());
        var unsealed = await Run(project, "apply", "plan.json");

        apply.ExitCode.ShouldBe(3);
        apply.Stderr.ShouldContain("plan.json has a plan_seal that does not match its content, so it was not written by personaops plan for this account, or was edited since; nothing was applied.");
        unsealed.ExitCode.ShouldBe(3);
        unsealed.Stderr.ShouldContain("plan.json has no plan_seal");
        WithStore(project, store => store.List("user", 10, 0).Total).ShouldBe(0, "nothing was created");
    }

    [Fact]
    public async Task InCi_WithoutAKey_TheSandboxIsNotChosenImplicitly()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        var plan = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["CI"] = "true" }, "plan");
        plan.ExitCode.ShouldBe(1);
        plan.Stderr.ShouldContain("TAVUS_API_KEY is not set");
        var explicitly = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["CI"] = "true" }, "plan", "--sandbox", "ci.db");
        explicitly.ExitCode.ShouldBe(0, explicitly.Stderr);
    }

    [Fact]
    public async Task Apply_WithoutATerminalOrAutoApprove_RefusesAndChangesNothing()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        var apply = await Run(project, "apply");
        apply.ExitCode.ShouldBe(1);
        apply.Stderr.ShouldContain("--auto-approve");
        WithStore(project, store => store.List("user", 10, 0).Total).ShouldBe(0);
    }

    [Fact]
    public async Task JsonOutput_IsTheSavedPlanDocument_WithoutSecrets()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        var plan = await Run(project, "plan", "--output", "json");
        plan.ExitCode.ShouldBe(0);
        var document = JsonNode.Parse(plan.Stdout)!;
        document["format_version"]!.GetValue<int>().ShouldBe(2);
        document["summary"]!["add"]!.GetValue<int>().ShouldBe(1);
        var persona = document["personas"]![0]!;
        persona["action"]!.GetValue<string>().ShouldBe("create");
        persona["body"]!["layers"]!["llm"]!["api_key"]!.GetValue<string>().ShouldBe("${env:OPENAI_API_KEY}");
        persona["secrets"]![0]!["fingerprint"]!.GetValue<string>().ShouldStartWith("hmac-sha256:");
        plan.Stdout.ShouldNotContain(Canary);
    }

    [Fact]
    public async Task MarkdownOutput_IsAPullRequestComment_WhoseMarkerMatchesTheSavedPlan()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        var plan = await Run(project, "plan", "--output", "markdown", "--out", "plan.json");
        plan.ExitCode.ShouldBe(0, plan.Stderr);
        var marker = plan.Stdout.Split('\n')[0];
        marker.ShouldStartWith("<!-- personaops:plan sha256=");
        plan.Stdout.ShouldContain("### PersonaOps plan: 1 to add, 0 to change, 0 to delete");
        plan.Stdout.ShouldContain("<details><summary>");
        plan.Stdout.ShouldContain("+       layers.llm.api_key");
        plan.Stdout.ShouldNotContain(Canary);

        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(project.Root, "plan.json")))!;
        marker.ShouldContain(saved["plan_fingerprint"]!.GetValue<string>().Replace("sha256:", "sha256=", StringComparison.Ordinal));
        var show = await Run(project, "show", "plan.json", "--output", "markdown");
        show.ExitCode.ShouldBe(0, show.Stderr);
        show.Stdout.ShouldBe(plan.Stdout);
    }

    [Theory]
    [InlineData("apply", "--auto-approve")]
    [InlineData("plan")]
    [InlineData("drift")]
    public async Task Only_NeverLetsAManifestFoundByName_TakeAPersonaAnotherManifestPinsById(params string[] command)
    {
        using var project = new TempProject();
        var pinned = WithStore(project, store => store.Create(new JsonObject { ["persona_name"] = "Shared", ["system_prompt"] = "Live prompt." })).Id;
        project.Write("personas/a.yaml", TempProject.Manifest("a", "Shared", "A's prompt."));
        project.Write("personas/b.yaml", $"apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: b\n  id: {pinned}\nspec:\n  persona_name: Renamed\n  system_prompt: B's prompt.\n");

        var whole = await Run(project, [.. command]);
        var only = await Run(project, [.. command, "--only", "a"]);

        foreach (var result in new[] { whole, only })
        {
            result.ExitCode.ShouldBe(1, result.Stdout + result.Stderr);
            result.Stderr.ShouldContain($"both manage persona {pinned}; pin each to its own persona with metadata.id.");
            result.Stderr.ShouldContain("PO5003");
        }

        only.Stdout.ShouldNotContain("will be updated");
        Live(project).Body["system_prompt"]!.GetValue<string>().ShouldBe("Live prompt.");
    }

    [Fact]
    public async Task Only_StillNarrowsWhatIsPlannedAndApplied_ToTheManifestsNamed()
    {
        using var project = new TempProject();
        project.Write("personas/a.yaml", TempProject.Manifest("a", "Alpha", "A's prompt."));
        project.Write("personas/b.yaml", TempProject.Manifest("b", "Beta", "B's prompt."));

        var apply = await Run(project, "apply", "--auto-approve", "--only", "a");

        apply.ExitCode.ShouldBe(0, apply.Stderr);
        apply.Stdout.ShouldContain("Plan: 1 to add, 0 to change, 0 to delete.");
        WithStore(project, store => store.List("user", 100, 0).Page.Select(p => p.Body["persona_name"]!.GetValue<string>()).ToArray()).ShouldBe(["Alpha"]);
    }

    [Fact]
    public async Task Only_ChecksTheWholeSet_SoAManifestThatCannotBeResolved_IsNamed_AndNothingIsSent()
    {
        using var project = new TempProject();
        project.Write("personas/a.yaml", TempProject.Manifest("a", "Alpha", "A's prompt."));
        project.Write("personas/b.yaml", TempProject.Manifest("b", "${env:B_NAME}", "B's prompt."));

        var plan = await Run(project, "plan", "--only", "a");

        plan.ExitCode.ShouldBe(1, plan.Stdout);
        plan.Stderr.ShouldContain("B_NAME is not set");
        plan.Stderr.ShouldContain("--only a changes only the manifests named, but checks which persona every manifest manages");
        plan.Stdout.ShouldBeEmpty();
    }
}
