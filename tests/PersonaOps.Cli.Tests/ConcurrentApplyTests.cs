using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// Two applies of the same manifests at once against one account (what happens without a concurrency group):
/// both plan against the same empty account and both create, yet the account ends with one persona per
/// manifest, and each run that lost a race says so and exits 1.
/// </summary>
public sealed class ConcurrentApplyTests
{
    private const int Count = 10;

    [Fact]
    public async Task TwoAppliesAtOnce_LeaveOnePersonaPerManifest_AndTheLoserSaysWhatItFound()
    {
        using var project = new TempProject();
        for (var i = 0; i < Count; i++)
        {
            project.WritePersona($"team-{i}", $"Team {i}", $"You help team {i}.");
        }

        using var store = new PersonaStore(Path.Combine(project.Root, "served.db"));

        // The latency keeps both runs' first listing in flight together, so both plan against the empty account
        // even if one starts up to a second later than the other on a busy machine.
        await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = "k", Faults = new FaultOptions { LatencyMs = 1000 } }), 0);
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

        var runs = await Task.WhenAll(
            Task.Run(() => CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve")),
            Task.Run(() => CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve")));

        runs.ShouldAllBe(r => r.Stdout.Contains($"Plan: {Count} to add", StringComparison.Ordinal), "both planned against the empty account");
        var (page, total) = store.List("user", 1000, 0);
        total.ShouldBe(Count, string.Join("\n", runs.Select(r => r.Stdout + r.Stderr)));
        page.Select(p => p.Body["persona_name"]!.GetValue<string>()).Distinct().Count().ShouldBe(Count);

        // Every name was raced; for each, exactly one run reports that it removed its own copy.
        var removals = runs.SelectMany(r => r.Stdout.Split('\n')).Where(l => l.Contains("this run removed its own copy", StringComparison.Ordinal)).ToArray();
        removals.Length.ShouldBe(Count);
        removals.Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).Distinct().Count().ShouldBe(Count);
        foreach (var run in runs.Where(r => r.Stdout.Contains("this run removed its own copy", StringComparison.Ordinal)))
        {
            run.ExitCode.ShouldBe(1);
            run.Stdout.ShouldContain("created by another apply at the same time");
            run.Stderr.ShouldContain("concurrency group");
        }

        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(0, plan.Stdout + plan.Stderr);
    }

    /// <summary>A person answering the prompt, while something else changes the account before the answer arrives.</summary>
    private sealed class AnswerAfter(Action meanwhile, string answer = "yes") : TextReader
    {
        public int Prompts { get; private set; }

        public override string? ReadLine()
        {
            Prompts++;
            meanwhile();
            return answer;
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> ApplyInteractiveAsync(TempProject project, TextReader input)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var io = new IOContext(stdout, stderr, _ => null, project.Root, IsTerminal: false) { In = input, IsInteractive = true };
        var exit = await CliApp.RunAsync(["apply"], io);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static IReadOnlyList<PersonaRecord> Personas(TempProject project)
    {
        using var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db"));
        return store.List("user", 100, 0).Page;
    }

    private static void InStore(TempProject project, Action<PersonaStore> change)
    {
        using var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db"));
        change(store);
    }

    [Fact]
    public async Task APersonaCreatedUnderThePlannedName_BetweenThePlanAndTheYes_IsNotCreatedTwice_TheApplyIsRefusedAsStale()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        var input = new AnswerAfter(() => InStore(project, store => store.Create(new System.Text.Json.Nodes.JsonObject { ["persona_name"] = "Coach", ["system_prompt"] = "Made by hand meanwhile." })));

        var (exit, stdout, stderr) = await ApplyInteractiveAsync(project, input);

        input.Prompts.ShouldBe(1);
        stdout.ShouldContain("Plan: 1 to add, 0 to change, 0 to delete.");
        exit.ShouldBe(3, stderr);
        stderr.ShouldContain("personaops: error: the account changed after the plan above was shown, so that plan is stale; nothing was applied. Run apply again to review a new plan.\n");
        stderr.ShouldContain("  - persona.coach: a persona named 'Coach' now exists\n");
        stdout.ShouldNotContain("persona.coach: created");
        var personas = Personas(project);
        personas.Count.ShouldBe(1, "the persona made meanwhile, and no second copy");
        personas.Single().Body["system_prompt"]!.GetValue<string>().ShouldBe("Made by hand meanwhile.");
    }

    [Fact]
    public async Task APersonaEditedBetweenThePlanAndTheYes_IsNotOverwrittenBlind()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        (await CliRunner.RunAsync(project.Root, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        project.WritePersona("coach", "Coach", "You coach people kindly.");
        var id = Personas(project).Single().Id;
        var input = new AnswerAfter(() => InStore(project, store => store.Update(id, record =>
        {
            var body = record.Body.DeepClone().AsObject();
            body["system_prompt"] = "Edited by hand meanwhile.";
            body["context"] = "Also added by hand.";
            return new UpdateDecision.Store(body, ClearDraft: false);
        })));

        var (exit, stdout, stderr) = await ApplyInteractiveAsync(project, input);

        exit.ShouldBe(3, stderr);
        stderr.ShouldContain($"  - persona.coach ({id}) changed since the plan was made\n");
        Personas(project).Single().Body["context"]!.GetValue<string>().ShouldBe("Also added by hand.");
        stdout.ShouldNotContain("persona.coach: updated");
    }

    [Fact]
    public async Task NothingChangedBetweenThePlanAndTheYes_IsApplied()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        var input = new AnswerAfter(() => { });

        var (exit, stdout, stderr) = await ApplyInteractiveAsync(project, input);

        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("Apply complete! Personas: 1 added, 0 changed, 0 deleted.");
        Personas(project).Count.ShouldBe(1);
    }
}
