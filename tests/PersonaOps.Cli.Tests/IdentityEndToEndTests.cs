using System.Text.Json.Nodes;
using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// Identity end to end: a persona_name with a reference is matched once resolved, so apply converges; an
/// account that answers in PAL-era names is planned, applied and imported like any other; plan problems are
/// diagnostics with their codes and positions.
/// </summary>
public sealed class IdentityEndToEndTests
{
    private static int Count(TempProject project)
    {
        using var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db"));
        return store.List("user", 100, 0).Total;
    }

    [Fact]
    public async Task ApplyTwice_WithAReferenceInPersonaName_LeavesExactlyOnePersona()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest(personaName: "Coach ${env:STAGE}"));
        var env = new Dictionary<string, string> { ["STAGE"] = "prod" };

        var first = await CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve");
        first.ExitCode.ShouldBe(0, first.Stderr);
        first.Stdout.ShouldContain("Plan: 1 to add, 0 to change, 0 to delete.");

        var second = await CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve");
        second.ExitCode.ShouldBe(0, second.Stderr);
        second.Stdout.ShouldContain("No changes.");
        Count(project).ShouldBe(1);
        using (var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db")))
        {
            store.List("user", 10, 0).Page.Single().Body["persona_name"]!.GetValue<string>().ShouldBe("Coach prod");
        }

        // A saved plan records the resolved name, so apply's stale check sees the persona another run made.
        (await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["STAGE"] = "staging" }, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        JsonNode.Parse(File.ReadAllText(Path.Combine(project.Root, "plan.json")))!["personas"]![0]!["persona_name"]!.GetValue<string>().ShouldBe("Coach staging");
        using (var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db")))
        {
            store.Create(new JsonObject { ["persona_name"] = "Coach staging", ["system_prompt"] = "made by another run" });
        }

        var stale = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["STAGE"] = "staging" }, "apply", "plan.json");
        stale.ExitCode.ShouldBe(3, stale.Stderr);
        stale.Stderr.ShouldContain("a persona named 'Coach staging' now exists");
        Count(project).ShouldBe(2);
    }

    [Fact]
    public async Task AnEmptyVariable_InPersonaName_IsPO3007_AndNothingReachesTheApi()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data":[],"total_count":0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest(personaName: "Coach ${env:STAGE}"));
        var env = new Dictionary<string, string> { ["STAGE"] = "", ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };
        foreach (var args in new[] { new[] { "plan" }, ["apply", "--auto-approve"] })
        {
            var result = await CliRunner.RunAsync(project.Root, env, args);
            result.ExitCode.ShouldBe(1);
            result.Stdout.ShouldBeEmpty();
            result.Stderr.ShouldContain("personas/coach.yaml(6,17): error PO3007: spec.persona_name references ${env:STAGE}, but STAGE is set but empty");
        }

        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task TwoPersonaNamesThatResolveToOne_ArePO3004_BeforeAnyApiCall()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data":[],"total_count":0}"""));
        using var project = new TempProject();
        project.Write("personas/a.yaml", TempProject.Manifest("a", "Coach prod"));
        project.Write("personas/b.yaml", TempProject.Manifest("b", "Coach ${env:STAGE}"));
        var env = new Dictionary<string, string> { ["STAGE"] = "prod", ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };
        var plan = await CliRunner.RunAsync(project.Root, env, "plan");
        plan.ExitCode.ShouldBe(1);
        plan.Stdout.ShouldBeEmpty();
        plan.Stderr.ShouldContain("personas/b.yaml(6,17): error PO3004: spec.persona_name is 'Coach prod' once its ${env:...} references are resolved, the persona name of personas/a.yaml(6,17) too");
        server.Requests.ShouldBeEmpty();

        env["STAGE"] = "staging";
        (await CliRunner.RunAsync(project.Root, env, "plan")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task PlanErrors_AreDiagnostics_WithTheirCodeAndThePositionOfTheFieldAtFault()
    {
        using var project = new TempProject();
        using (var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db")))
        {
            store.Create(new JsonObject { ["persona_name"] = "Coach", ["system_prompt"] = "a" });
            store.Create(new JsonObject { ["persona_name"] = "Coach", ["system_prompt"] = "b" });
        }

        project.Write("personas/coach.yaml", TempProject.Manifest());
        project.Write("personas/pinned.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: pinned\n  id: p00000000000f\nspec:\n  persona_name: Pinned\n  system_prompt: x\n");
        var plan = await CliRunner.RunAsync(project.Root, "plan");
        plan.ExitCode.ShouldBe(1);
        plan.Stdout.ShouldBeEmpty();
        plan.Stderr.ShouldContain("personas/coach.yaml(6,17): error PO5001: 2 live personas are named 'Coach'");
        plan.Stderr.ShouldContain("personas/pinned.yaml(5,7): error PO5002: metadata.id p00000000000f is not a persona of this account");
        plan.Stderr.ShouldContain("2 manifest(s) could not be planned; nothing was changed.");
    }

    [Theory]
    [InlineData(PalNames.All)]
    [InlineData(PalNames.Mixed)]
    [InlineData(PalNames.Both)]
    public async Task AnAccountInPalEraNames_IsPlannedAppliedAndImported_WithoutACreate(PalNames palNames)
    {
        using var project = new TempProject();
        using var store = new PersonaStore(Path.Combine(project.Root, "served.db"));
        var ids = Enumerable.Range(0, 6).Select(i => store.Create(new JsonObject
        {
            ["persona_name"] = $"Coach {i}",
            ["system_prompt"] = "You coach people.",
            ["default_replica_id"] = "r665388ec672",
            ["layers"] = new JsonObject { ["conversational_flow"] = new JsonObject { ["replica_interruptibility"] = "low" } },
        }).Id).ToArray();
        await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = "pal-key", PalNames = palNames }), 0);
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "pal-key", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

        // Manifests for each: the even ones found by name, the odd ones pinned; every other one edited.
        for (var i = 0; i < ids.Length; i++)
        {
            var pinned = i % 2 == 1 ? $"  id: {ids[i]}\n" : "";
            var prompt = i % 3 == 0 ? "You coach people kindly." : "You coach people.";
            project.Write($"personas/coach-{i}.yaml",
                $"apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach-{i}\n{pinned}spec:\n  persona_name: Coach {i}\n  system_prompt: {prompt}\n  default_replica_id: r665388ec672\n  layers:\n    conversational_flow:\n      replica_interruptibility: low\n");
        }

        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode", "--out", "plan.json");
        plan.ExitCode.ShouldBe(2, plan.Stderr);
        plan.Stdout.ShouldContain("Plan: 0 to add, 2 to change, 0 to delete.");

        // The saved plan's stale check reads each persona back with GET: the same vocabulary, the same fingerprint.
        var saved = await CliRunner.RunAsync(project.Root, env, "apply", "plan.json");
        saved.ExitCode.ShouldBe(0, saved.Stderr);
        saved.Stdout.ShouldContain("Apply complete! Personas: 0 added, 2 changed, 0 deleted.");

        project.Write("personas/coach-1.yaml", File.ReadAllText(Path.Combine(project.Root, "personas/coach-1.yaml")).Replace("You coach people.", "You coach people well.", StringComparison.Ordinal));
        var apply = await CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve");
        apply.ExitCode.ShouldBe(0, apply.Stderr);
        apply.Stdout.ShouldContain("Apply complete! Personas: 0 added, 1 changed, 0 deleted.");
        store.List("user", 100, 0).Total.ShouldBe(ids.Length);
        store.Get(ids[0])!.Body["system_prompt"]!.GetValue<string>().ShouldBe("You coach people kindly.");
        store.Get(ids[3])!.Body["system_prompt"]!.GetValue<string>().ShouldBe("You coach people kindly.");
        store.Get(ids[1])!.Body["system_prompt"]!.GetValue<string>().ShouldBe("You coach people well.");

        var again = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode");
        again.ExitCode.ShouldBe(0, again.Stdout + again.Stderr);
        again.Stdout.ShouldContain("No changes.");

        var import = await CliRunner.RunAsync(project.Root, env, "import", "--all", "--out", "imported");
        import.ExitCode.ShouldBe(0, import.Stderr);
        var files = Directory.GetFiles(Path.Combine(project.Root, "imported"));
        files.Length.ShouldBe(ids.Length);
        var texts = files.Select(File.ReadAllText).ToArray();
        foreach (var id in ids)
        {
            texts.ShouldContain(t => t.Contains($"id: {id}", StringComparison.Ordinal));
        }

        texts.ShouldAllBe(t => !t.Contains("pal_", StringComparison.Ordinal) && !t.Contains("default_face_id", StringComparison.Ordinal));
        var imported = await CliRunner.RunAsync(project.Root, env, "plan", "imported", "--detailed-exitcode");
        imported.ExitCode.ShouldBe(0, imported.Stdout + imported.Stderr);
    }

    [Fact]
    public async Task ALivePersonaWhosePalIdDisagreesWithItsPersonaId_StopsEveryCommand_ChangingNothing()
    {
        const string Page = """{"data":[{"persona_id":"p000000000001","pal_id":"p000000000002","persona_name":"Coach","system_prompt":"You coach people."}],"total_count":1}""";
        await using var server = new RawHttpServer(request => RawHttpServer.Response(200, "application/json",
            request.StartsWith("GET /v2/personas?", StringComparison.Ordinal) ? Page : """{"persona_id":"p000000000001","pal_id":"p000000000002","persona_name":"Coach"}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };
        foreach (var args in new[] { new[] { "plan" }, ["apply", "--auto-approve"], ["drift"], ["import", "--all", "--out", "imported"], ["import", "p000000000001", "--out", "imported"] })
        {
            var result = await CliRunner.RunAsync(project.Root, env, args);
            result.ExitCode.ShouldBe(1, string.Join(' ', args) + ": " + result.Stderr);
            result.Stdout.ShouldBeEmpty(string.Join(' ', args));
            result.Stderr.ShouldContain("persona p000000000001 came back with both persona_id (\"p000000000001\") and pal_id (\"p000000000002\"), which disagree");
            result.Stderr.ShouldNotContain("   at ", Case.Sensitive, "no stack trace");
        }

        Directory.Exists(Path.Combine(project.Root, "imported")).ShouldBeFalse();
        server.Requests.ShouldAllBe(r => r.StartsWith("GET ", StringComparison.Ordinal), "nothing but reads was sent");
    }
}
