using System.Text.Json.Nodes;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests.Git;

/// <summary>
/// Three-way plans end to end: a temporary Git repository, the embedded sandbox as the account, edits made
/// "in the dashboard" straight into the sandbox's store, and plan, drift and apply with --base.
/// </summary>
public sealed class ThreeWayPlanTests
{
    private static readonly Dictionary<string, string> Env = new() { ["OPENAI_API_KEY"] = "sk-test-0123456789abcdef" };

    private static string Manifest(string name, string personaName, string prompt) => $"""
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: {name}
        spec:
          persona_name: {personaName}
          system_prompt: {prompt}
        """;

    /// <summary>A repository with two applied manifests, coach and mentor, committed as the base.</summary>
    private static (TempRepository Repo, string Base) Applied()
    {
        var repo = new TempRepository();
        repo.Write(".gitignore", ".personaops/\n");
        repo.Write("personas/coach.yaml", Manifest("coach", "Coach", "You coach."));
        repo.Write("personas/mentor.yaml", Manifest("mentor", "Mentor", "You mentor."));
        var commit = repo.Commit("personas");
        return (repo, commit);
    }

    private static Task<CliResult> Run(TempRepository repo, params string[] args) => CliRunner.RunAsync(repo.Root, Env, args);

    private static void EditLive(TempRepository repo, string personaName, string field, string value)
    {
        using var store = new PersonaStore(Path.Combine(repo.Root, ".personaops", "sandbox.db"));
        var persona = store.List("user", 100, 0).Page.Single(p => p.Body["persona_name"]!.GetValue<string>() == personaName);
        store.Update(persona.Id, before =>
        {
            var body = before.Body.DeepClone().AsObject();
            body[field] = value;
            return new UpdateDecision.Store(body, ClearDraft: false);
        });
    }

    private static JsonObject[] Live(TempRepository repo)
    {
        using var store = new PersonaStore(Path.Combine(repo.Root, ".personaops", "sandbox.db"));
        return [.. store.List("user", 100, 0).Page.Select(p => p.Body)];
    }

    private static string Prompt(TempRepository repo, string personaName) =>
        Live(repo).Single(p => p["persona_name"]!.GetValue<string>() == personaName)["system_prompt"]!.GetValue<string>();

    [Fact]
    public async Task ADashboardEdit_OnAPersonaThePullRequestLeavesAlone_IsAnOutsideChange_RevertedOnlyByApply()
    {
        var (repo, @base) = Applied();
        using var _ = repo;
        (await Run(repo, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        EditLive(repo, "Mentor", "system_prompt", "Edited in the dashboard.");
        repo.Write("personas/coach.yaml", Manifest("coach", "Coach", "You coach kindly."));

        var plan = await Run(repo, "plan", "--base", @base, "--no-color");
        var json = await Run(repo, "plan", "--base", @base, "--output", "json");

        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain("Outside changes: these fields were edited outside PersonaOps");
        plan.Stdout.ShouldContain("  persona.mentor (personas/mentor.yaml)");
        plan.Stdout.ShouldNotContain("Conflicts:");
        var mentor = JsonNode.Parse(json.Stdout)!["personas"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "mentor")!;
        mentor["outside_changes"]!.AsArray().Select(p => p!.GetValue<string>()).ShouldBe(["/system_prompt"]);
        mentor["conflicts"]!.AsArray().ShouldBeEmpty();

        var apply = await Run(repo, "apply", "--auto-approve", "--base", @base);
        apply.ExitCode.ShouldBe(0, apply.Stderr);
        Prompt(repo, "Mentor").ShouldBe("You mentor.", "apply reverts the outside change, as the plan said");
        Prompt(repo, "Coach").ShouldBe("You coach kindly.");
    }

    [Fact]
    public async Task AFieldChangedByBoth_IsAConflict_ApplyRefusesIt_UntilTold()
    {
        var (repo, @base) = Applied();
        using var _ = repo;
        (await Run(repo, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        EditLive(repo, "Coach", "system_prompt", "Edited in the dashboard.");
        repo.Write("personas/coach.yaml", Manifest("coach", "Coach", "You coach kindly."));

        var plan = await Run(repo, "plan", "--base", @base, "--no-color");
        var refused = await Run(repo, "apply", "--auto-approve", "--base", @base);

        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.IndexOf("Conflicts:", StringComparison.Ordinal).ShouldBeLessThan(plan.Stdout.IndexOf("PersonaOps will perform", StringComparison.Ordinal));
        refused.ExitCode.ShouldBe(1);
        refused.Stderr.ShouldContain("the plan has conflicts: 1 field(s) were changed by this change and also outside PersonaOps");
        refused.Stderr.ShouldContain("  - persona.coach (personas/coach.yaml): system_prompt");
        Prompt(repo, "Coach").ShouldBe("Edited in the dashboard.", "nothing was sent");

        var saved = await Run(repo, "plan", "--base", @base, "--out", "plan.json");
        saved.ExitCode.ShouldBe(0, saved.Stderr);
        var savedRefused = await Run(repo, "apply", "plan.json");
        savedRefused.ExitCode.ShouldBe(1);
        savedRefused.Stderr.ShouldContain("the plan has conflicts");
        Prompt(repo, "Coach").ShouldBe("Edited in the dashboard.");

        var overwritten = await Run(repo, "apply", "--auto-approve", "--base", @base, "--overwrite-outside-changes");
        overwritten.ExitCode.ShouldBe(0, overwritten.Stderr);
        Prompt(repo, "Coach").ShouldBe("You coach kindly.");
    }

    [Fact]
    public async Task ARenamedPersonaName_IsARename_NotASecondPersona()
    {
        var (repo, @base) = Applied();
        using var _ = repo;
        (await Run(repo, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        repo.Write("personas/coach.yaml", Manifest("coach", "Head Coach", "You coach."));

        var plan = await Run(repo, "plan", "--base", @base, "--no-color");
        var apply = await Run(repo, "apply", "--auto-approve", "--base", @base);

        plan.Stdout.ShouldContain("# renamed: the live persona named 'Coach' in the base is renamed, not created again");
        plan.Stdout.ShouldContain("Plan: 0 to add, 1 to change, 0 to delete.");
        apply.ExitCode.ShouldBe(0, apply.Stderr);
        Live(repo).Select(p => p["persona_name"]!.GetValue<string>()).ShouldBe(["Head Coach", "Mentor"], ignoreOrder: true);
        (await Run(repo, "plan", "--detailed-exitcode")).ExitCode.ShouldBe(0, "converged: the next plan, even two-way, is clean");
    }

    [Fact]
    public async Task ARenameOfAPinnedPersona_OrOfAManifestAlone_IsAnUpdate_NeverASecondPersona()
    {
        var (repo, _) = Applied();
        using var _repo = repo;
        (await Run(repo, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        string coachId;
        using (var store = new PersonaStore(Path.Combine(repo.Root, ".personaops", "sandbox.db")))
        {
            coachId = store.List("user", 100, 0).Page.Single(p => p.Body["persona_name"]!.GetValue<string>() == "Coach").Id;
        }

        repo.Write("personas/coach.yaml", Manifest("coach", "Coach", "You coach.").Replace("  name: coach\n", $"  name: coach\n  id: {coachId}\n"));
        var pinned = repo.Commit("pin the coach");

        // With metadata.id the persona is found by id, whatever its name; a metadata.name renamed alone
        // (the file's manifest called mentor-2 now) is the same manifest, not a removal and a create.
        repo.Write("personas/coach.yaml", Manifest("coach", "Head Coach", "You coach.").Replace("  name: coach\n", $"  name: coach\n  id: {coachId}\n"));
        repo.Write("personas/mentor.yaml", Manifest("mentor-2", "Mentor", "You mentor."));
        var plan = await Run(repo, "plan", "--base", pinned, "--no-color");
        var apply = await Run(repo, "apply", "--auto-approve", "--base", pinned);

        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain("Plan: 0 to add, 1 to change, 0 to delete.");
        plan.Stdout.ShouldNotContain("No longer managed");
        apply.ExitCode.ShouldBe(0, apply.Stderr);
        Live(repo).Select(p => p["persona_name"]!.GetValue<string>()).ShouldBe(["Head Coach", "Mentor"], ignoreOrder: true);
    }

    [Fact]
    public async Task AManifestRemovedFromGit_IsNoLongerManaged_AndItsPersonaStays()
    {
        var (repo, @base) = Applied();
        using var _ = repo;
        (await Run(repo, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        File.Delete(Path.Combine(repo.Root, "personas", "mentor.yaml"));

        var plan = await Run(repo, "plan", "--base", @base, "--no-color", "--detailed-exitcode");
        var apply = await Run(repo, "apply", "--auto-approve", "--base", @base);

        plan.ExitCode.ShouldBe(0, plan.Stdout + plan.Stderr);
        plan.Stdout.ShouldContain("No longer managed: these manifests were in");
        plan.Stdout.ShouldContain("  persona.mentor (personas/mentor.yaml) [p");
        apply.ExitCode.ShouldBe(0);
        Live(repo).Length.ShouldBe(2);
    }

    [Fact]
    public async Task ABaseThatDoesNotExist_OrAProjectOutsideGit_IsAClearError_BeforeAnyRequest()
    {
        var (repo, _) = Applied();
        using var __ = repo;
        using var outside = new TempProject();
        outside.WritePersona("coach", "Coach", "You coach.");

        var missing = await Run(repo, "plan", "--base", "no-such-branch");
        var notGit = await CliRunner.RunAsync(outside.Root, Env, "plan", "--base", "HEAD");

        missing.ExitCode.ShouldBe(1);
        missing.Stdout.ShouldBeEmpty();
        missing.Stderr.ShouldContain("personaops: error: --base names 'no-such-branch', which is not a commit of this repository (give a commit, branch or tag). Nothing was sent to the API.");
        File.Exists(Path.Combine(repo.Root, ".personaops", "sandbox.db")).ShouldBeFalse();
        notGit.ExitCode.ShouldBe(1);
        notGit.Stderr.ShouldContain("--base needs the project to be inside a Git repository");
    }

    [Fact]
    public async Task ASavedPlan_IsAppliedOnlyWithTheBaseItWasMadeWith()
    {
        var (repo, @base) = Applied();
        using var _ = repo;
        (await Run(repo, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        repo.Write("personas/coach.yaml", Manifest("coach", "Coach", "You coach kindly."));
        var head = repo.Commit("kinder");
        (await Run(repo, "plan", "--base", @base, "--out", "plan.json")).ExitCode.ShouldBe(0);

        var other = await Run(repo, "apply", "plan.json", "--base", head);

        other.ExitCode.ShouldBe(3);
        other.Stderr.ShouldContain("plan.json was planned against the base");
        Prompt(repo, "Coach").ShouldBe("You coach.", "the refused plan sent nothing");

        var same = await Run(repo, "apply", "plan.json", "--base", @base);
        same.ExitCode.ShouldBe(0, same.Stderr);
        Prompt(repo, "Coach").ShouldBe("You coach kindly.");
    }

    [Theory]
    [InlineData(PersonaOps.Sandbox.SecretReadBack.Echo)]
    [InlineData(PersonaOps.Sandbox.SecretReadBack.Mask)]
    [InlineData(PersonaOps.Sandbox.SecretReadBack.Omit)]
    public async Task ASecretAddedOrReReferenced_IsSent_WhateverTavusReturnsForSecrets(PersonaOps.Sandbox.SecretReadBack secrets)
    {
        using var repo = new TempRepository();
        using var store = new PersonaStore(Path.Combine(repo.Root, "..", Path.GetFileName(repo.Root) + "-served.db"));
        var api = new PersonaOps.Sandbox.Api.SandboxApi(store, new PersonaOps.Sandbox.SandboxOptions { ApiKey = "served-key", Secrets = secrets });
        await using var server = await PersonaOps.Sandbox.Hosting.SandboxServer.StartAsync(api, 0);
        var env = new Dictionary<string, string>
        {
            ["TAVUS_API_KEY"] = "served-key",
            ["TAVUS_API_URL"] = server.BaseAddress.ToString(),
            ["KEY_A"] = "sk-first-0123456789",
            ["KEY_B"] = "sk-second-0123456789",
        };
        string WithKey(string? reference) => Manifest("coach", "Coach", "You coach.") + "\n  layers:\n    llm:\n      model: m\n" + (reference is null ? "" : $"      api_key: {reference}\n");
        string LiveKey() => store.List("user", 10, 0).Page.Single().Body["layers"]!["llm"]!["api_key"]?.GetValue<string>() ?? "(none)";

        repo.Write("personas/coach.yaml", WithKey(null));
        var before = repo.Commit("no key");
        (await CliRunner.RunAsync(repo.Root, env, "apply", "--auto-approve")).ExitCode.ShouldBe(0);

        repo.Write("personas/coach.yaml", WithKey("${env:KEY_A}"));
        var added = await CliRunner.RunAsync(repo.Root, env, "apply", "--auto-approve", "--base", before);
        added.ExitCode.ShouldBe(0, added.Stdout + added.Stderr);
        added.Stdout.ShouldContain("1 to change");
        LiveKey().ShouldBe("sk-first-0123456789");
        var withA = repo.Commit("key A");

        repo.Write("personas/coach.yaml", WithKey("${env:KEY_B}"));
        var rereferenced = await CliRunner.RunAsync(repo.Root, env, "apply", "--auto-approve", "--base", withA);
        rereferenced.ExitCode.ShouldBe(0, rereferenced.Stdout + rereferenced.Stderr);
        LiveKey().ShouldBe("sk-second-0123456789");
        var withB = repo.Commit("key B");

        var unchanged = await CliRunner.RunAsync(repo.Root, env, "plan", "--base", withB, "--detailed-exitcode");
        unchanged.ExitCode.ShouldBe(0, "an unchanged secret reference is not sent again: " + unchanged.Stdout);

        repo.Write("personas/coach.yaml", WithKey(null));
        var removed = await CliRunner.RunAsync(repo.Root, env, "apply", "--auto-approve", "--base", withB);
        removed.ExitCode.ShouldBe(0, removed.Stdout + removed.Stderr);
        LiveKey().ShouldBe("(none)");
        (added.Stdout + added.Stderr + rereferenced.Stdout + rereferenced.Stderr + removed.Stdout + removed.Stderr).ShouldNotContain("sk-first-0123456789");
    }
}
