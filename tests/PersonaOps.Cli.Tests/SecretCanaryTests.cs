using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// Canary secrets in every layer that holds one (the LLM key, the LLM's custom headers, the TTS key) and
/// in TAVUS_API_KEY, against a server that echoes secrets back and fails now and then. Every byte
/// PersonaOps writes is searched: stdout and stderr of every command at the most verbose level (success
/// and failure), plan files, the Markdown comment, and the manifests import writes. One sighting fails.
/// </summary>
public sealed class SecretCanaryTests
{
    private static readonly Dictionary<string, string> Canaries = new()
    {
        ["TAVUS_API_KEY"] = "tvs-CANARY-tavus-key-0001",
        ["COACH_LLM_API_KEY"] = "sk-CANARY-llm-key-0002",
        ["COACH_LLM_HEADER_X_ORG"] = "org-CANARY-header-0003",
        ["COACH_TTS_API_KEY"] = "el-CANARY-tts-key-0004",
    };

    private const string Manifest = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: You coach people.
          layers:
            llm:
              model: my-llm
              base_url: https://llm.example.com/v1
              api_key: ${env:COACH_LLM_API_KEY}
              headers:
                X-Org: ${env:COACH_LLM_HEADER_X_ORG}
            tts:
              tts_engine: elevenlabs
              external_voice_id: voice-1
              api_key: ${env:COACH_TTS_API_KEY}
        """;

    [Fact]
    public async Task AServerErrorThatEchoesASecret_IsPrintedMasked()
    {
        // A server that repeats the key it was given in its error, as some APIs do for "invalid key" errors.
        await using var server = new RawHttpServer(request => request.StartsWith("POST ", StringComparison.Ordinal)
            ? RawHttpServer.Response(400, "application/json", $$"""{"error": "api_key '{{Canaries["COACH_LLM_API_KEY"]}}' was refused by the LLM; key {{Canaries["TAVUS_API_KEY"]}} has no access"}""")
            : RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);
        var env = new Dictionary<string, string>(Canaries) { ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

        var result = await CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve", "--verbose");

        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldContain("api_key '(sensitive value)' was refused by the LLM; key (sensitive value) has no access");
        (result.Stdout + result.Stderr).ShouldNotContain("CANARY");
    }

    [Theory]
    [InlineData(SecretReadBack.Echo)]
    [InlineData(SecretReadBack.Mask)]
    [InlineData(SecretReadBack.Omit)]
    public async Task NoCanary_AppearsInAnythingPersonaOpsWrites(SecretReadBack readBack)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);
        using var store = new PersonaStore(Path.Combine(project.Root, "served.db"));
        var outputs = new List<(string What, string Text)>();
        var faults = new FaultOptions { ErrorRate = 0.2, RateLimitRate = 0.1, DropAfterCommitRate = 0.2, RetryAfterSeconds = 0, Seed = 5 };
        await using (var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = Canaries["TAVUS_API_KEY"], Secrets = readBack, Faults = faults }), 0))
        {
            var env = new Dictionary<string, string>(Canaries) { ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

            async Task Run(IReadOnlyDictionary<string, string> environment, params string[] args)
            {
                var result = await CliRunner.RunAsync(project.Root, environment, [.. args, "--verbose"]);
                outputs.Add(($"{string.Join(' ', args)} (stdout)", result.Stdout));
                outputs.Add(($"{string.Join(' ', args)} (stderr)", result.Stderr));
            }

            await Run(env, "validate");
            await Run(env, "plan");
            await Run(env, "plan", "--output", "json", "--out", "plan.json");
            await Run(env, "plan", "--output", "markdown");
            await Run(env, "show", "plan.json");
            await Run(env, "show", "plan.json", "--output", "markdown");
            await Run(env, "apply", "plan.json");
            await Run(env, "apply", "--auto-approve");
            await Run(env, "drift", "--output", "json");
            await Run(env, "plan", "--rotate-secrets");

            // A rotated secret is an update; then the failures: a wrong key, a stale plan, a missing variable.
            var rotated = new Dictionary<string, string>(env) { ["COACH_TTS_API_KEY"] = "el-CANARY-tts-key-rotated-0005" };
            await Run(rotated, "plan", "--rotate-secrets", "--output", "markdown");
            await Run(rotated, "apply", "--auto-approve", "--rotate-secrets");
            await Run(new Dictionary<string, string>(env) { ["TAVUS_API_KEY"] = "tvs-CANARY-wrong-key-0006" }, "plan");
            await Run(env, "apply", "plan.json");
            await Run(new Dictionary<string, string>(env) { ["COACH_LLM_API_KEY"] = "" }.Where(kv => kv.Value.Length > 0).ToDictionary(), "apply", "--auto-approve");
            await Run(env, "import", "--all", "--out", "imported");

            // Dashboard edits, a secret among them and a known secret pasted into a plain field: drift --adopt
            // rewrites the manifest, and neither it nor its output holds a canary.
            var id = store.List("user", 10, 0).Page.Single().Id;
            store.Update(id, r =>
            {
                var body = r.Body.DeepClone().AsObject();
                body["system_prompt"] = "Edited in the dashboard.";
                body["context"] = "Key: " + Canaries["COACH_TTS_API_KEY"];
                body["layers"]!["llm"]!["api_key"] = "sk-CANARY-dashboard-edit-0007";
                body["layers"]!["llm"]!["headers"] = new System.Text.Json.Nodes.JsonObject { ["X-Org"] = "org-CANARY-dashboard-0008" };
                return new UpdateDecision.Store(body, false);
            });
            await Run(env, "drift", "--adopt");
        }

        File.ReadAllText(Path.Combine(project.Root, "personas", "coach.yaml")).ShouldContain("system_prompt: Edited in the dashboard.", Case.Sensitive, "drift --adopt adopted the prompt");

        foreach (var file in Directory.EnumerateFiles(project.Root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(project.Root, file);
            if (!relative.StartsWith("served.db", StringComparison.Ordinal))
            {
                outputs.Add((relative, File.ReadAllText(file)));
            }
        }

        outputs.ShouldContain(o => o.What.StartsWith("imported", StringComparison.Ordinal), "import wrote its manifests");
        outputs.ShouldContain(o => o.What == "plan.json");
        foreach (var (what, text) in outputs)
        {
            text.ShouldNotContain("CANARY", Case.Sensitive, $"a secret leaked into {what}:\n{text}");
        }
    }
}
