using System.Text.Json.Nodes;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// Nothing lost, nothing duplicated: GitHub Actions passes "" for a missing or misnamed secret, so an empty
/// variable must stop a run like an unset one, whether the field is secret or not, interactive or from a
/// saved plan; and a manifest that names nothing live cannot create a persona on every run.
/// </summary>
public sealed class DataLossTests
{
    private const string Key = "sk-live-0123456789abcdef";

    private static string Coach(string prompt = "You coach people.") => $$"""
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: {{prompt}}
          layers:
            llm:
              model: my-llm
              base_url: https://llm.example.com/v1
              api_key: ${env:OPENAI_API_KEY}
        """;

    private static T WithStore<T>(TempProject project, Func<PersonaStore, T> action)
    {
        using var store = new PersonaStore(Path.Combine(project.Root, ".personaops", "sandbox.db"));
        return action(store);
    }

    private static JsonObject LiveBody(TempProject project) => WithStore(project, store => store.List("user", 100, 0).Page.Single(p => p.Body["persona_name"]!.GetValue<string>() == "Coach").Body);

    [Fact]
    public async Task AnEmptySecretVariable_NeverWipesTheLiveKey_InteractiveOrFromASavedPlan()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        var first = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["OPENAI_API_KEY"] = Key }, "apply", "--auto-approve");
        first.ExitCode.ShouldBe(0, first.Stderr);
        // The saved plan creates a second persona, so it must send the key.
        project.Write("personas/mentor.yaml", Coach().Replace("name: coach", "name: mentor").Replace("Coach", "Mentor"));
        var saved = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["OPENAI_API_KEY"] = Key }, "plan", "--out", "plan.json");
        saved.ExitCode.ShouldBe(0, saved.Stderr);
        var before = LiveBody(project).ToJsonString();

        var empty = new Dictionary<string, string> { ["OPENAI_API_KEY"] = "" };
        var apply = await CliRunner.RunAsync(project.Root, empty, "apply", "--auto-approve");
        var replay = await CliRunner.RunAsync(project.Root, empty, "apply", "plan.json");
        var plan = await CliRunner.RunAsync(project.Root, empty, "plan", "--no-color");
        var planUnset = await CliRunner.RunAsync(project.Root, new Dictionary<string, string>(), "plan", "--no-color");

        // plan needs no secret's value (it never sends one): an empty variable reads exactly as an unset one.
        plan.ExitCode.ShouldBe(planUnset.ExitCode);
        plan.Stdout.ShouldBe(planUnset.Stdout);
        foreach (var (name, result) in new[] { ("apply", apply), ("apply plan.json", replay) })
        {
            result.ExitCode.ShouldBe(1, $"{name}: {result.Stdout}{result.Stderr}");
            result.Stderr.ShouldContain("PO3007", customMessage: name);
            result.Stderr.ShouldContain("OPENAI_API_KEY", customMessage: name);
        }

        LiveBody(project).ToJsonString().ShouldBe(before);
        WithStore(project, store => store.List("user", 100, 0).Total).ShouldBe(1, "the saved plan's create was refused, not sent without its key");
        LiveBody(project)["layers"]!["llm"]!["api_key"]!.GetValue<string>().ShouldBe(Key);
    }

    [Fact]
    public async Task AnEmptyVariableInAPlainField_IsRefusedLikeAnUnsetOne_AndThePromptStays()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Coach());
        (await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["OPENAI_API_KEY"] = Key }, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        project.Write("personas/coach.yaml", Coach("${env:PROMPT}"));

        foreach (var command in new[] { "plan", "drift", "apply" })
        {
            var args = command == "apply" ? new[] { command, "--auto-approve" } : new[] { command };
            var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["OPENAI_API_KEY"] = Key, ["PROMPT"] = "" }, args);
            result.ExitCode.ShouldBe(1, command);
            result.Stderr.ShouldContain("personas/coach.yaml(7,18): error PO3007: spec.system_prompt references ${env:PROMPT}, but PROMPT is", customMessage: command);
            result.Stdout.ShouldBeEmpty(command);
        }

        LiveBody(project)["system_prompt"]!.GetValue<string>().ShouldBe("You coach people.");
    }

    [Fact]
    public async Task AManifestWithNeitherIdNorPersonaName_IsInvalid_AndNothingIsCreated()
    {
        using var project = new TempProject();
        project.Write("personas/anon.yaml", """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: anon
            spec:
              system_prompt: You help.
            """);

        foreach (var args in new[] { new[] { "validate" }, ["plan"], ["apply", "--auto-approve"], ["apply", "--auto-approve"] })
        {
            var result = await CliRunner.RunAsync(project.Root, args);
            result.ExitCode.ShouldBe(1, string.Join(' ', args));
            (result.Stdout + result.Stderr).ShouldContain("error PO3013", customMessage: string.Join(' ', args));
        }

        File.Exists(Path.Combine(project.Root, ".personaops", "sandbox.db")).ShouldBeFalse("nothing reached the API, not even to open the sandbox");
    }
}
