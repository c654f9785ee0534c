using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// <c>personaops drift --adopt</c> end to end, in-process, against the embedded sandbox: personas applied,
/// then edited in the store as the dashboard would; adopt rewrites only the changed values' bytes, says
/// what it did on stderr, and <c>plan</c> is clean afterwards.
/// </summary>
public sealed class AdoptEndToEndTests
{
    private const string Canary = "sk-CANARY-adopt-41c9";

    private static readonly Dictionary<string, string> Env = new() { ["OPENAI_API_KEY"] = Canary };

    private const string Two = """
        # Two personas in one file, with comments, a flow list and a literal prompt.
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach   # the running coach
        spec:
          persona_name: Coach
          system_prompt: |
            You coach runners.
            Ask one question at a time.

          # what the dashboard also shows
          document_tags: [running, 'road']
          layers:
            stt:
              hotwords: "Tavus"    # brand
        ---
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: helper
        spec:
          persona_name: Helper
          system_prompt: You help.
        """;

    private static Task<CliResult> Run(TempProject project, params string[] args) => CliRunner.RunAsync(project.Root, Env, args);

    private static void EditLive(TempProject project, string personaName, Action<JsonObject> edit)
    {
        using var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db"));
        var id = store.List("user", 100, 0).Page.Single(p => p.Body["persona_name"]?.GetValue<string>() == personaName).Id;
        store.Update(id, r =>
        {
            var body = r.Body.DeepClone().AsObject();
            edit(body);
            return new UpdateDecision.Store(body, false);
        });
    }

    [Fact]
    public async Task DashboardEdits_AreAdoptedInPlace_CRLFAndTheOtherDocumentKept_AndPlanIsCleanAfter()
    {
        using var project = new TempProject();
        var text = Two.Replace("\n", "\r\n", StringComparison.Ordinal);
        var path = Path.Combine(project.Root, "personas", "team.yaml");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)]);
        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);

        EditLive(project, "Coach", body =>
        {
            body["system_prompt"] = "You coach runners and walkers.\nAsk one question at a time.\nBe kind.\n";
            body["document_tags"] = new JsonArray("running", "trail");
            body["context"] = "Members of the club.";
            body["layers"]!["stt"]!.AsObject().Remove("hotwords");
        });

        var adopt = await Run(project, "drift", "--adopt");
        adopt.ExitCode.ShouldBe(0, adopt.Stderr);
        adopt.Stderr.ShouldContain("personaops: adopted in personas/team.yaml: context, document_tags, layers.stt.hotwords, system_prompt");
        adopt.Stdout.ShouldContain("~ system_prompt", customMessage: adopt.Stdout);

        var expected = """
            # Two personas in one file, with comments, a flow list and a literal prompt.
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach   # the running coach
            spec:
              persona_name: Coach
              system_prompt: |
                You coach runners and walkers.
                Ask one question at a time.
                Be kind.

              # what the dashboard also shows
              document_tags: [running, trail]
              context: Members of the club.
            ---
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: helper
            spec:
              persona_name: Helper
              system_prompt: You help.
            """.Replace("\n", "\r\n", StringComparison.Ordinal);
        var written = File.ReadAllBytes(path);
        written.Take(3).ShouldBe(new byte[] { 0xEF, 0xBB, 0xBF });
        Encoding.UTF8.GetString(written.AsSpan(3)).ShouldBe(expected);

        var plan = await Run(project, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(0, plan.Stdout + plan.Stderr);
        plan.Stdout.ShouldContain("No changes.");
        Directory.GetFiles(Path.Combine(project.Root, "personas"), "*.tmp").ShouldBeEmpty();
    }

    [Fact]
    public async Task ASecretChangedLive_IsLeftForAPerson_NeverWritten_AndExitsTwo()
    {
        using var project = new TempProject();
        var manifest = """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: Coach
              system_prompt: You coach.
              layers:
                llm:
                  model: my-llm
                  base_url: https://llm.example.com/v1
                  api_key: ${env:OPENAI_API_KEY}
            """;
        project.Write("personas/coach.yaml", manifest);
        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        EditLive(project, "Coach", body =>
        {
            body["layers"]!["llm"]!["api_key"] = "sk-dashboard-9d2e";
            body["layers"]!["llm"]!["model"] = "their-llm";
        });

        var adopt = await Run(project, "drift", "--adopt");
        (adopt.Stdout + adopt.Stderr).ShouldNotContain("sk-dashboard-9d2e");
        (adopt.Stdout + adopt.Stderr).ShouldNotContain(Canary);
        var text = File.ReadAllText(Path.Combine(project.Root, "personas", "coach.yaml"));
        text.ShouldBe(manifest.Replace("model: my-llm", "model: their-llm", StringComparison.Ordinal));
        text.ShouldNotContain("sk-");
        // The embedded sandbox echoes secrets, so the plan sees the key differ: left, exit 2.
        adopt.ExitCode.ShouldBe(2, adopt.Stderr);
        adopt.Stderr.ShouldContain("personaops: adopted in personas/coach.yaml: layers.llm.model");
        adopt.Stderr.ShouldContain("left in personas/coach.yaml: persona.coach layers.llm.api_key: a secret");
    }

    [Fact]
    public async Task Only_RestrictsAdoption_ToTheManifestsNamed_AndACreateIsLeft()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach.");
        project.WritePersona("helper", "Helper", "You help.");
        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        EditLive(project, "Coach", body => body["system_prompt"] = "You coach runners.");
        EditLive(project, "Helper", body => body["system_prompt"] = "You help runners.");
        project.WritePersona("newcomer", "Newcomer", "You are new.");

        var only = await Run(project, "drift", "--adopt", "--only", "coach");
        only.ExitCode.ShouldBe(0, only.Stderr);
        File.ReadAllText(Path.Combine(project.Root, "personas", "coach.yaml")).ShouldBe(TempProject.Manifest("coach", "Coach", "You coach runners."));
        File.ReadAllText(Path.Combine(project.Root, "personas", "helper.yaml")).ShouldBe(TempProject.Manifest("helper", "Helper", "You help."));

        var all = await Run(project, "drift", "--adopt");
        all.ExitCode.ShouldBe(2, all.Stderr);
        all.Stderr.ShouldContain("personaops: adopted in personas/helper.yaml: system_prompt");
        all.Stderr.ShouldContain("left in personas/newcomer.yaml: persona.newcomer the persona: no live persona matches it");
        File.ReadAllText(Path.Combine(project.Root, "personas", "helper.yaml")).ShouldBe(TempProject.Manifest("helper", "Helper", "You help runners."));
        File.ReadAllText(Path.Combine(project.Root, "personas", "newcomer.yaml")).ShouldBe(TempProject.Manifest("newcomer", "Newcomer", "You are new."));
    }

    [Fact]
    public async Task NoDrift_AdoptsNothing_AndExitsZero()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach.");
        (await Run(project, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        var before = File.ReadAllBytes(Path.Combine(project.Root, "personas", "coach.yaml"));

        var adopt = await Run(project, "drift", "--adopt");
        adopt.ExitCode.ShouldBe(0, adopt.Stderr);
        adopt.Stderr.ShouldContain("adopted 0 field(s) in 0 file(s); the manifests match live.");
        File.ReadAllBytes(Path.Combine(project.Root, "personas", "coach.yaml")).ShouldBe(before);
    }
}
