using System.Text.Json.Nodes;
using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// Environments end to end: personaops.yaml (validated with positions before any request), --env and
/// PERSONAOPS_ENV, each environment's own key variable and URL, overlays merged onto the base manifests,
/// and plans that name their environment and are refused in another (exit 3, nothing sent). Two served
/// sandboxes stand for two accounts, each with its own key.
/// </summary>
public sealed class EnvironmentTests
{
    private const string StagingKey = "tvs-staging-key-0001";
    private const string ProductionKey = "tvs-production-key-0002";

    private const string ProjectYaml = """
        # yaml-language-server: $schema=schemas/project/v1/project.schema.json
        environments:
          staging:
            api_url: STAGING_URL
            api_key_env: TAVUS_API_KEY_STAGING
          production:
            api_url: PRODUCTION_URL
            api_key_env: TAVUS_API_KEY_PRODUCTION
        default_environment: staging
        """;

    private const string Base = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: You coach people.
          default_replica_id: r665388ec672
          layers:
            llm:
              model: tavus-gpt-oss
              speculative_inference: true
            stt:
              hotwords: alpha beta
        """;

    private const string ProductionOverlay = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          system_prompt: You coach customers.
          default_replica_id: rf4703150052
          layers:
            llm:
              speculative_inference: false
            stt:
              hotwords: production words
            tts:
              tts_engine: cartesia
        """;

    private sealed class Account : IAsyncDisposable
    {
        private Account(PersonaStore store, SandboxServer server)
        {
            Store = store;
            Server = server;
        }

        public PersonaStore Store { get; }

        public SandboxServer Server { get; }

        public static async Task<Account> StartAsync(string file, string key)
        {
            var store = new PersonaStore(file);
            return new Account(store, await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = key }), 0));
        }

        public JsonObject Single() => Store.List("user", 10, 0).Page.Single().Body;

        public int Count => Store.List("user", 100, 0).Total;

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Store.Dispose();
        }
    }

    private static Dictionary<string, string> Keys(params (string Name, string Value)[] more)
    {
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY_STAGING"] = StagingKey, ["TAVUS_API_KEY_PRODUCTION"] = ProductionKey };
        foreach (var (name, value) in more)
        {
            env[name] = value;
        }

        return env;
    }

    private static TempProject Project(Uri staging, Uri production)
    {
        var project = new TempProject();
        project.Write("personaops.yaml", ProjectYaml.Replace("STAGING_URL", staging.ToString().TrimEnd('/')).Replace("PRODUCTION_URL", production.ToString().TrimEnd('/')));
        project.Write("personas/coach.yaml", Base);
        project.Write("environments/production/coach.yaml", ProductionOverlay);
        return project;
    }

    [Fact]
    public async Task EachEnvironment_GetsItsOwnAccount_AndItsOverlay()
    {
        await using var staging = await Account.StartAsync(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".db"), StagingKey);
        await using var production = await Account.StartAsync(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".db"), ProductionKey);
        using var project = Project(staging.Server.BaseAddress, production.Server.BaseAddress);

        // The default environment: staging, with the base as it is.
        var first = await CliRunner.RunAsync(project.Root, Keys(), "apply", "--auto-approve");
        first.ExitCode.ShouldBe(0, first.Stderr);
        first.Stdout.ShouldContain("Environment: staging");
        staging.Single()["system_prompt"]!.GetValue<string>().ShouldBe("You coach people.");
        production.Count.ShouldBe(0);

        // Production with --env: its key, its URL, its overlay (a prompt, a replica, a boolean, a string, a new layer).
        var second = await CliRunner.RunAsync(project.Root, Keys(), "apply", "--env", "production", "--auto-approve");
        second.ExitCode.ShouldBe(0, second.Stderr + second.Stdout);
        var body = production.Single();
        body["system_prompt"]!.GetValue<string>().ShouldBe("You coach customers.");
        body["persona_name"]!.GetValue<string>().ShouldBe("Coach");
        body["default_replica_id"]!.GetValue<string>().ShouldBe("rf4703150052");
        body["layers"]!["llm"]!["speculative_inference"]!.GetValue<bool>().ShouldBeFalse();
        body["layers"]!["llm"]!["model"]!.GetValue<string>().ShouldBe("tavus-gpt-oss");
        body["layers"]!["stt"]!["hotwords"]!.GetValue<string>().ShouldBe("production words");
        body["layers"]!["tts"]!["tts_engine"]!.GetValue<string>().ShouldBe("cartesia");
        staging.Count.ShouldBe(1);

        // PERSONAOPS_ENV chooses too; the option wins over it.
        var converged = await CliRunner.RunAsync(project.Root, Keys(("PERSONAOPS_ENV", "production")), "plan", "--detailed-exitcode");
        converged.ExitCode.ShouldBe(0, converged.Stderr + converged.Stdout);
        converged.Stdout.ShouldContain("Environment: production");
        var chosen = await CliRunner.RunAsync(project.Root, Keys(("PERSONAOPS_ENV", "production")), "plan", "--env", "staging");
        chosen.Stdout.ShouldContain("Environment: staging");
        (first.Stdout + first.Stderr + second.Stdout + second.Stderr).ShouldNotContain(StagingKey);
        (first.Stdout + first.Stderr + second.Stdout + second.Stderr).ShouldNotContain(ProductionKey);
    }

    [Fact]
    public async Task AStagingPlan_IsRefusedInProduction_Exit3_NothingSent()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = Project(server.BaseAddress, server.BaseAddress);
        var plan = await CliRunner.RunAsync(project.Root, Keys(), "plan", "--env", "staging", "--out", "plan.json");
        plan.ExitCode.ShouldBe(0, plan.Stderr);
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(project.Root, "plan.json")))!;
        document["environment"]!.GetValue<string>().ShouldBe("staging");
        var markdown = await CliRunner.RunAsync(project.Root, Keys(), "plan", "--output", "markdown");
        markdown.Stdout.Split('\n')[0].ShouldContain("environment=staging");
        var before = server.Requests.Count;

        var result = await CliRunner.RunAsync(project.Root, Keys(), "apply", "plan.json", "--env", "production");

        result.ExitCode.ShouldBe(3, result.Stderr);
        result.Stderr.ShouldContain("was made for the environment staging, but this run is for the environment production");
        server.Requests.Count.ShouldBe(before);
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task APlanNamesItsEnvironmentInItsFingerprint()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = Project(server.BaseAddress, server.BaseAddress);
        (await CliRunner.RunAsync(project.Root, Keys(), "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(project.Root, "plan.json")))!.AsObject();
        document["environment"] = "production";
        project.Write("relabelled.json", document.ToJsonString());
        var before = server.Requests.Count;

        var result = await CliRunner.RunAsync(project.Root, Keys(), "apply", "relabelled.json", "--env", "production");

        result.ExitCode.ShouldBe(3, result.Stderr);
        result.Stderr.ShouldContain("modified after it was written");
        server.Requests.Count.ShouldBe(before);
    }

    [Theory]
    [InlineData("environments:\n  staging:\n    api_key_env: K\n    api_ur1: https://x\n", "personaops.yaml(4,5): error PO2003")]
    [InlineData("environments:\n  staging:\n    api_url: https://x\n", "personaops.yaml(3,5): error PO2001")]
    [InlineData("environments:\n  staging:\n    api_key_env: not a name\n", "personaops.yaml(3,18): error PO2005")]
    [InlineData("environments:\n  staging:\n    api_key_env: K\ndefault_environment: prod\n", "personaops.yaml(4,22): error PO6001")]
    [InlineData("environments:\n  Staging:\n    api_key_env: K\n", "personaops.yaml(2,3): error PO6001")]
    [InlineData("environments:\n  staging:\n    api_key_env: K\n    overlays: ../elsewhere\n", "personaops.yaml(4,15): error PO6001")]
    [InlineData("environments: [\n", "personaops.yaml(")]
    [InlineData("environment:\n  staging:\n    api_key_env: K\n", "personaops.yaml(1,1): error PO2003: unknown field 'environment' in the project file; did you mean 'environments'?")]
    public async Task ABadProjectFile_IsADiagnosticWithItsPosition_Exit1_BeforeAnyRequest(string yaml, string expected)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Base);
        project.Write("personaops.yaml", yaml);
        foreach (var command in new[] { "validate", "plan" })
        {
            var result = await CliRunner.RunAsync(project.Root, Keys(("TAVUS_API_KEY", "k"), ("TAVUS_API_URL", server.BaseAddress.ToString())), command);
            result.ExitCode.ShouldBe(1, result.Stderr);
            result.Stderr.ShouldContain(expected);
            result.Stderr.ShouldContain("the project file personaops.yaml is not valid");
            result.Stdout.ShouldBeEmpty();
        }

        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task ChoosingAnEnvironment_ErrorsAreClear_Exit1()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Base);

        var noFile = await CliRunner.RunAsync(project.Root, "validate", "--env", "staging");
        noFile.ExitCode.ShouldBe(1);
        noFile.Stderr.ShouldContain("--env names the environment 'staging', but the project has no personaops.yaml");
        var noFileVariable = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["PERSONAOPS_ENV"] = "staging" }, "validate");
        noFileVariable.ExitCode.ShouldBe(1);
        noFileVariable.Stderr.ShouldContain("PERSONAOPS_ENV names the environment 'staging'");

        project.Write("personaops.yaml", "environments:\n  staging:\n    api_key_env: K1\n  production:\n    api_key_env: K2\n");
        var noDefault = await CliRunner.RunAsync(project.Root, "validate");
        noDefault.ExitCode.ShouldBe(1);
        noDefault.Stderr.ShouldContain("defines the environments staging, production and no default_environment");
        var unknown = await CliRunner.RunAsync(project.Root, "validate", "--env", "prod");
        unknown.ExitCode.ShouldBe(1);
        unknown.Stderr.ShouldContain("'prod', which personaops.yaml does not define; its environments: staging, production");
        (await CliRunner.RunAsync(project.Root, "validate", "--env", "production")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task WithoutAProjectFile_NothingChanges()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Base);
        var result = await CliRunner.RunAsync(project.Root, "plan");
        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldNotContain("Environment:");
        result.Stderr.ShouldContain("TAVUS_API_KEY is not set");
    }

    [Fact]
    public async Task InCi_AnEnvironmentWithoutItsKey_IsAnErrorNamingItsVariable_NotTheSandbox()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Base);
        project.Write("personaops.yaml", "environments:\n  staging:\n    api_key_env: TAVUS_API_KEY_STAGING\n    sandbox: .personaops/staging.db\ndefault_environment: staging\n");
        var ci = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["CI"] = "true", ["TAVUS_API_KEY"] = "the-default-key" }, "plan");
        ci.ExitCode.ShouldBe(1);
        ci.Stderr.ShouldContain("TAVUS_API_KEY_STAGING is not set (the key of the environment staging)");

        // Outside CI, the environment's own sandbox file.
        var local = await CliRunner.RunAsync(project.Root, "plan");
        local.ExitCode.ShouldBe(0, local.Stderr);
        local.Stderr.ShouldContain("staging.db");
        local.Stderr.ShouldContain("TAVUS_API_KEY_STAGING is not set");
    }

    [Fact]
    public async Task OverlayErrors_NameTheOverlayFileLineAndCode_Exit1_NothingSent()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = Project(server.BaseAddress, server.BaseAddress);
        project.Write("environments/production/typo.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: couch\nspec:\n  system_prompt: x\n");
        project.Write("environments/production/coach.yaml", ProductionOverlay.Replace("tts_engine: cartesia", "tts_engine: cartesiaa"));

        var result = await CliRunner.RunAsync(project.Root, Keys(), "plan", "--env", "production");

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("environments/production/typo.yaml(4,9): error PO6002");
        result.Stderr.ShouldContain("environments/production/coach.yaml(14,19): error PO2004");
        server.Requests.ShouldBeEmpty();

        // In staging the overlays of production are not read.
        (await CliRunner.RunAsync(project.Root, Keys(), "validate", "--env", "staging")).ExitCode.ShouldBe(0);
    }
    [Fact]
    public async Task AnEnvironmentsKey_IsASecret_NeverShown_NeverSentInAPlainField()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = Project(server.BaseAddress, server.BaseAddress);
        project.Write("personas/coach.yaml", Base.Replace("You coach people.", "Key ${env:LEAK}"));

        // The production key, in a prompt of a staging run: masked like TAVUS_API_KEY, and refused.
        var result = await CliRunner.RunAsync(project.Root, Keys(("LEAK", ProductionKey)), "plan", "--env", "staging");

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("would send a secret's value");
        (result.Stdout + result.Stderr).ShouldNotContain(ProductionKey);
        server.Requests.ShouldAllBe(r => r.StartsWith("GET ", StringComparison.Ordinal));
    }
}

/// <summary>Three-way plans of an environment: the base's overlays are read at the base revision, the project file from the work tree.</summary>
public sealed class EnvironmentThreeWayTests
{
    [Fact]
    public async Task TheBaseOfAnEnvironment_IncludesItsOverlaysAtTheBase_SoAnOverlayEditIsThisChange_NotAConflict()
    {
        using var repo = new Git.TempRepository();
        repo.Write(".gitignore", ".personaops/\n");
        repo.Write("personaops.yaml", "environments:\n  staging:\n    api_key_env: TAVUS_API_KEY_STAGING\ndefault_environment: staging\n");
        repo.Write("personas/coach.yaml", TempProject.Manifest());
        repo.Write("environments/staging/coach.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\nspec:\n  system_prompt: You coach in staging.\n");
        var commit = repo.Commit("staging");
        (await CliRunner.RunAsync(repo.Root, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        repo.Write("environments/staging/coach.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\nspec:\n  system_prompt: You coach in staging, kindly.\n");

        var plan = await CliRunner.RunAsync(repo.Root, "plan", "--base", commit, "--output", "json");

        plan.ExitCode.ShouldBe(0, plan.Stderr);
        var persona = JsonNode.Parse(plan.Stdout)!["personas"]![0]!;
        persona["action"]!.GetValue<string>().ShouldBe("update");
        persona["conflicts"]!.AsArray().ShouldBeEmpty();
        persona["outside_changes"]!.AsArray().ShouldBeEmpty();
    }
}
