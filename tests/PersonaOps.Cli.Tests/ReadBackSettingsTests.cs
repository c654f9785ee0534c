using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// The CLI against a sandbox served over HTTP (as TAVUS_API_URL), in every read-back setting Tavus might
/// have: after apply, plan shows no changes, so there is no perpetual diff.
/// </summary>
public sealed class ReadBackSettingsTests
{
    private const string Canary = "sk-CANARY-readback";

    private const string Manifest = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: full
        spec:
          persona_name: Full Persona
          system_prompt: |
            You help.
            Briefly.
          pipeline_mode: full
          default_replica_id: r665388ec672
          document_tags: [b, a]
          layers:
            llm:
              model: my-llm
              base_url: https://llm.example.com/v1
              api_key: ${env:LLM_KEY}
              speculative_inference: true
              headers:
                Authorization: Bearer ${env:LLM_KEY}
              tools:
                - type: function
                  function:
                    name: lookup
                    description: Look something up.
                    parameters: {type: object, properties: {q: {type: string}}, required: [q]}
            tts:
              tts_engine: cartesia
              tts_emotion_control: true
            stt:
              stt_engine: tavus-auto
            perception:
              perception_model: raven-1
            conversational_flow:
              turn_taking_patience: medium
              voice_isolation: near
        """;

    [Theory]
    [InlineData(SecretReadBack.Echo, DefaultsReadBack.Keep)]
    [InlineData(SecretReadBack.Echo, DefaultsReadBack.Omit)]
    [InlineData(SecretReadBack.Mask, DefaultsReadBack.Keep)]
    [InlineData(SecretReadBack.Mask, DefaultsReadBack.Omit)]
    [InlineData(SecretReadBack.Omit, DefaultsReadBack.Keep)]
    [InlineData(SecretReadBack.Omit, DefaultsReadBack.Omit)]
    public async Task ApplyThenPlan_ShowsNoChanges(SecretReadBack secrets, DefaultsReadBack defaults)
    {
        using var project = new TempProject();
        project.Write("personas/full.yaml", Manifest);
        using var store = new PersonaStore(Path.Combine(project.Root, "served.db"));
        await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = "served-key", Secrets = secrets, Defaults = defaults }), 0);
        var env = new Dictionary<string, string>
        {
            ["TAVUS_API_KEY"] = "served-key",
            ["TAVUS_API_URL"] = server.BaseAddress.ToString(),
            ["LLM_KEY"] = Canary,
        };

        var apply = await CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve");
        apply.ExitCode.ShouldBe(0, apply.Stdout + apply.Stderr);
        store.List("user", 10, 0).Page.Single().Body["layers"]!["llm"]!["api_key"]!.GetValue<string>().ShouldBe(Canary);

        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(0, plan.Stdout);
        plan.Stdout.ShouldContain("No changes.");
        if (secrets != SecretReadBack.Echo)
        {
            plan.Stdout.ShouldContain("not comparable");
        }

        (apply.Stdout + apply.Stderr + plan.Stdout + plan.Stderr).ShouldNotContain(Canary);
        (apply.Stdout + apply.Stderr + plan.Stdout + plan.Stderr).ShouldNotContain("served-key");
    }

    [Fact]
    public async Task AChangedSecret_IsSentWhenEchoed_AndNeverShown()
    {
        using var project = new TempProject();
        project.Write("personas/full.yaml", Manifest);
        using var store = new PersonaStore(Path.Combine(project.Root, "served.db"));
        await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = "k" }), 0);
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString(), ["LLM_KEY"] = Canary };
        (await CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve")).ExitCode.ShouldBe(0);

        env["LLM_KEY"] = Canary + "-rotated";
        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(2, plan.Stdout);
        plan.Stdout.ShouldContain("~ layers.llm.api_key");
        plan.Stdout.ShouldMatch(@"~ layers\.llm\.api_key +\= \(sensitive value\)\n");
        plan.Stdout.ShouldNotContain(Canary);
        (await CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        store.List("user", 10, 0).Page.Single().Body["layers"]!["llm"]!["api_key"]!.GetValue<string>().ShouldBe(Canary + "-rotated");
    }
}
