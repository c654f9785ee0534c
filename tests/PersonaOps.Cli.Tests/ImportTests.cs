using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// import round trips against a served sandbox in each secret read-back setting: live persona -> manifest
/// -> plan shows no changes; secret values are never written; existing files are kept without --force.
/// </summary>
public sealed class ImportTests
{
    private const string Canary = "sk-CANARY-import";

    private const string Body = """
        {
          "persona_name": "Café Ünïcode — 日本語 Coach",
          "system_prompt": "You coach.\nLiteral ${not_a_reference} and $${double} stay text.\n  Indented line.\n",
          "pipeline_mode": "full",
          "default_replica_id": "r665388ec672",
          "document_tags": ["true", "42", "null", "0x1F"],
          "layers": {
            "llm": {
              "model": "my-llm",
              "base_url": "https://llm.example.com/v1",
              "api_key": "sk-CANARY-import",
              "headers": {"Authorization": "Bearer sk-CANARY-import"},
              "tools": [{"type": "function", "function": {"name": "lookup", "description": "Look up.", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}]
            },
            "tts": {"tts_engine": "elevenlabs", "voice_settings": {"speed": 1.1, "stability": 0.5}},
            "conversational_flow": {"turn_taking_patience": "high"}
          }
        }
        """;

    [Theory]
    [InlineData(SecretReadBack.Echo)]
    [InlineData(SecretReadBack.Mask)]
    [InlineData(SecretReadBack.Omit)]
    public async Task ImportedManifests_PlanToNoChanges_AndHoldNoSecret(SecretReadBack secrets)
    {
        using var project = new TempProject();
        using var store = new PersonaStore(Path.Combine(project.Root, "served.db"));
        var api = new SandboxApi(store, new SandboxOptions { ApiKey = "import-key", Secrets = secrets });
        await using var server = await SandboxServer.StartAsync(api, 0);
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
        {
            http.DefaultRequestHeaders.Add("x-api-key", "import-key");
            using var content = new StringContent(Body, System.Text.Encoding.UTF8, "application/json");
            var created = await http.PostAsync(new Uri("/v2/personas", UriKind.Relative), content);
            created.IsSuccessStatusCode.ShouldBeTrue(await created.Content.ReadAsStringAsync());
        }

        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "import-key", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };
        var import = await CliRunner.RunAsync(project.Root, env, "import", "--all", "--out", "personas");
        import.ExitCode.ShouldBe(0, import.Stderr);
        var file = Directory.GetFiles(Path.Combine(project.Root, "personas")).Single();
        Path.GetFileName(file).ShouldBe("cafe-unicode-coach.yaml");
        var yaml = File.ReadAllText(file);
        yaml.ShouldNotContain(Canary);
        if (secrets == SecretReadBack.Omit)
        {
            // A secret Tavus does not return cannot be seen, so it cannot be imported: add it by hand.
            yaml.ShouldNotContain("api_key");
        }
        else
        {
            yaml.ShouldContain("api_key: ${env:CAFE_UNICODE_COACH_LLM_API_KEY}");
            yaml.ShouldContain("Authorization: ${env:CAFE_UNICODE_COACH_LLM_HEADER_AUTHORIZATION}");
            import.Stderr.ShouldContain("CAFE_UNICODE_COACH_LLM_API_KEY");
        }

        yaml.ShouldContain("$${not_a_reference}");
        (import.Stdout + import.Stderr).ShouldNotContain(Canary);

        env["CAFE_UNICODE_COACH_LLM_API_KEY"] = Canary;
        env["CAFE_UNICODE_COACH_LLM_HEADER_AUTHORIZATION"] = "Bearer " + Canary;
        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(0, plan.Stdout + plan.Stderr + yaml);
        plan.Stdout.ShouldContain("No changes.");
    }

    /// <summary>Live personas an import must write back exactly: each one broke a round trip once.</summary>
    private static readonly string[] Hostile =
    [
        """{"persona_name": "2024", "system_prompt": "Line one\u2028line two\u2029three\u0085four\rfive\r\nsix\tseven\n\n\n", "document_tags": ["True", "yes", "null", "1e3", "0x1F", "~", "2024-01-01"]}""",
        """{"persona_name": "True", "system_prompt": "  Leading spaces\ntrailing spaces  \n\ttab first\n", "layers": {"llm": {"model": "null", "extra_body": {"stop": null, "nested": {"x": null, "e": "", "o": {}}}, "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "default": null, "properties": {"q": {"type": "string", "default": null}}}}}]}}}""",
        """{"persona_name": "Shared name", "system_prompt": "Use ${env:HOME} and $${x} and ${ alone, literally.", "layers": {"llm": {"model": "m", "base_url": "https://llm.example.com/v1", "headers": {"X-Api-Key": "sk-CANARY-one", "x_api_key": "sk-CANARY-two"}}}}""",
        """{"persona_name": "Shared name", "system_prompt": "The other persona of that name.\n"}""",
        """{"persona_name": "~", "system_prompt": "yes"}""",
    ];

    [Fact]
    public async Task HostilePersonas_ImportFromAServedSandbox_ThenValidateAndPlanToNoChanges()
    {
        using var project = new TempProject();
        using var store = new PersonaStore(Path.Combine(project.Root, "served.db"));
        var api = new SandboxApi(store, new SandboxOptions { ApiKey = "import-key", Secrets = SecretReadBack.Echo });
        await using var server = await SandboxServer.StartAsync(api, 0);
        using (var http = new HttpClient { BaseAddress = server.BaseAddress })
        {
            http.DefaultRequestHeaders.Add("x-api-key", "import-key");
            foreach (var body in Hostile)
            {
                using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
                var created = await http.PostAsync(new Uri("/v2/personas", UriKind.Relative), content);
                created.IsSuccessStatusCode.ShouldBeTrue(body + await created.Content.ReadAsStringAsync());
            }
        }

        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "import-key", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };
        var import = await CliRunner.RunAsync(project.Root, env, "import", "--all", "--out", "personas");
        import.ExitCode.ShouldBe(0, import.Stderr);
        (import.Stdout + import.Stderr).ShouldNotContain("CANARY");
        var files = Directory.GetFiles(Path.Combine(project.Root, "personas")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        files.ShouldBe(["2024.yaml", "persona.yaml", "shared-name-2.yaml", "shared-name.yaml", "true.yaml"]);
        var yaml = string.Join("\n", Directory.GetFiles(Path.Combine(project.Root, "personas")).Select(File.ReadAllText));
        yaml.ShouldNotContain("CANARY");
        yaml.ShouldContain("persona_name: \"2024\"");
        yaml.ShouldContain("stop: null");
        yaml.ShouldContain("$${env:HOME}");

        // Two personas with one name: one manifest each, the lower id first, so a second import names them alike.
        var shared = File.ReadAllText(Path.Combine(project.Root, "personas", "shared-name.yaml"));
        var sharedTwo = File.ReadAllText(Path.Combine(project.Root, "personas", "shared-name-2.yaml"));
        string.CompareOrdinal(IdOf(shared), IdOf(sharedTwo)).ShouldBeLessThan(0);

        // Each header has its own variable; set both, and the secrets compare equal.
        var (headers, prefix) = shared.Contains("X-Api-Key", StringComparison.Ordinal) ? (shared, "SHARED_NAME") : (sharedTwo, "SHARED_NAME_2");
        headers.ShouldContain($"X-Api-Key: ${{env:{prefix}_LLM_HEADER_X_API_KEY}}");
        headers.ShouldContain($"x_api_key: ${{env:{prefix}_LLM_HEADER_X_API_KEY_2}}");
        env[$"{prefix}_LLM_HEADER_X_API_KEY"] = "sk-CANARY-one";
        env[$"{prefix}_LLM_HEADER_X_API_KEY_2"] = "sk-CANARY-two";
        env["HOME"] = "SUBSTITUTED";

        var validate = await CliRunner.RunAsync(project.Root, env, "validate");
        validate.ExitCode.ShouldBe(0, validate.Stdout + validate.Stderr);
        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(0, plan.Stdout + plan.Stderr + yaml);
        plan.Stdout.ShouldContain("No changes.");
        (plan.Stdout + plan.Stderr).ShouldNotContain("CANARY");
    }

    private static string IdOf(string manifest) =>
        manifest.Split('\n').Single(l => l.StartsWith("  id: ", StringComparison.Ordinal))["  id: ".Length..];

    [Fact]
    public async Task AStockPersona_IsRefusedByItsId_WithAReason_AndNothingIsWritten()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach.");
        (await CliRunner.RunAsync(project.Root, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        var id = (await CliRunner.RunAsync(project.Root, "import", "--all", "--out", "mine")).Stdout.Split("persona ")[1].Trim();

        // p1af207b8189 is Tavus's stock "Sales Coach" (persona_type: system), which the sandbox serves too.
        var result = await CliRunner.RunAsync(project.Root, "import", id, "p1af207b8189", "--out", "imported");

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("personaops: error: persona p1af207b8189 is a stock persona of Tavus (persona_type: system)");
        result.Stderr.ShouldContain("cannot be managed by a manifest");
        result.Stderr.ShouldContain("nothing was written");
        result.Stdout.ShouldBeEmpty();
        Directory.Exists(Path.Combine(project.Root, "imported")).ShouldBeFalse();
    }

    [Fact]
    public async Task StockPersonasInAListing_AreSkippedWithAWarning_AndTheAccountsOwnAreImported()
    {
        // A gateway that ignores persona_type=user and lists the stock personas too.
        const string Listing = """{"data": [{"persona_id": "p1af207b8189", "persona_name": "Sales Coach", "persona_type": "system", "system_prompt": "Stock."}, {"persona_id": "p0000000000a", "persona_name": "Mine", "persona_type": "user", "system_prompt": "Mine."}], "total_count": 2}""";
        await using var server = new RawHttpServer(request => request.StartsWith("GET /v2/personas", StringComparison.Ordinal) && !request.Contains("page=2", StringComparison.Ordinal)
            ? RawHttpServer.Response(200, "application/json", Listing)
            : RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 2}"""));
        using var project = new TempProject();
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

        var result = await CliRunner.RunAsync(project.Root, env, "import", "--all", "--out", "imported");

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stderr.ShouldContain("personaops: warning: skipped persona p1af207b8189");
        Directory.GetFiles(Path.Combine(project.Root, "imported")).Select(Path.GetFileName).ShouldBe(["mine.yaml"]);
        server.Requests.ShouldAllBe(r => r.StartsWith("GET ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerTextInImportsOutput_CannotMoveTheCursorOrBecomeAWorkflowCommand()
    {
        // Field names and ids are the server's: each line import prints from them must stay inert.
        const string Listing = """{"data": [{"persona_id": "p0000000000s", "persona_name": "Stock\u001b[2J", "persona_type": "system", "system_prompt": "Stock."}, {"persona_id": "p0000000000a", "persona_name": "Mine", "persona_type": "user", "system_prompt": "Mine.", "x\n::stop-commands::tok": 1, "w\u001b[2J": 4, "layers": {"llm": {"model": "m", "::error::y": 2, "z\u202e": 3}}}], "total_count": 2}""";
        await using var server = new RawHttpServer(request => !request.Contains("page=2", StringComparison.Ordinal)
            ? RawHttpServer.Response(200, "application/json", Listing)
            : RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 2}"""));
        using var project = new TempProject();
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

        var result = await CliRunner.RunAsync(project.Root, env, "import", "--all", "--out", "imported");

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stderr.ShouldContain("left out");
        foreach (var line in (result.Stdout + result.Stderr).Split('\n'))
        {
            line.TrimStart().ShouldNotStartWith("::", Case.Sensitive, line);
            line.ShouldNotContain('\u001b', line);
            line.ShouldNotContain('\u202e', line);
        }
    }

    [Fact]
    public async Task APersonaWhoseLiveValuesWouldNotValidate_IsNamedAndLeftOut_TheOthersAreImported()
    {
        // Tavus stores what its schema allows, which is not always what PersonaOps's does (a blank prompt on
        // a full-pipeline persona here): one such persona must not block adopting the rest of the account.
        const string Listing = """{"data": [{"persona_id": "p0000000000a", "persona_name": "Blank", "pipeline_mode": "full", "system_prompt": " "}, {"persona_id": "p0000000000b", "persona_name": "Fine", "system_prompt": "You help."}], "total_count": 2}""";
        await using var server = new RawHttpServer(request => RawHttpServer.Response(200, "application/json", request.Contains("page=1", StringComparison.Ordinal) ? Listing : """{"data": [], "total_count": 2}"""));
        using var project = new TempProject();
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

        var result = await CliRunner.RunAsync(project.Root, env, "import", "--all", "--out", "imported");

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stderr.ShouldContain("blank.yaml(");
        result.Stderr.ShouldContain("error PO3001");
        result.Stderr.ShouldContain("personaops: error: persona p0000000000a was not imported: its live values would not make a valid manifest (above, as blank.yaml).");
        result.Stderr.ShouldContain("imported 1 persona(s) into imported; 1 not imported (above).");
        Directory.GetFiles(Path.Combine(project.Root, "imported")).Select(Path.GetFileName).ShouldBe(["fine.yaml"]);
        result.Stdout.ShouldContain("fine.yaml: persona p0000000000b");
    }

    [Fact]
    public async Task ExistingManifests_AreNotOverwrittenWithoutForce()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach.");
        (await CliRunner.RunAsync(project.Root, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        var before = File.ReadAllText(Path.Combine(project.Root, "personas", "coach.yaml"));

        var refused = await CliRunner.RunAsync(project.Root, "import", "--all", "--out", "personas");
        refused.ExitCode.ShouldBe(1);
        refused.Stderr.ShouldContain("already exist");
        File.ReadAllText(Path.Combine(project.Root, "personas", "coach.yaml")).ShouldBe(before);

        var forced = await CliRunner.RunAsync(project.Root, "import", "--all", "--out", "personas", "--force");
        forced.ExitCode.ShouldBe(0, forced.Stderr);
        File.ReadAllText(Path.Combine(project.Root, "personas", "coach.yaml")).ShouldContain("id: p");
        var plan = await CliRunner.RunAsync(project.Root, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(0, plan.Stdout);
    }

    [Fact]
    public async Task AnOutFolderThatCannotBeMade_IsAClearError_WithNothingWritten()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach.");
        (await CliRunner.RunAsync(project.Root, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        project.Write("imported", "a file where the folder should be");

        var result = await CliRunner.RunAsync(project.Root, "import", "--all", "--out", "imported/personas");

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("personaops: error: cannot create imported/personas");
        result.Stderr.ShouldNotContain("internal error");
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task ImportWithoutIdsOrAll_IsAnError()
    {
        using var project = new TempProject();
        var result = await CliRunner.RunAsync(project.Root, "import", "--out", "x");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("--all");
    }
}
