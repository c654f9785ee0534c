using System.Text.Json.Nodes;

namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// apply against a Tavus that answers with success but does not do what it says (a 200 that is not the
/// target, a 304 that changed nothing, a 204 to a DELETE of a persona still there): the report says what
/// happened, from what the API shows, never from its status alone; nothing is sent twice.
/// </summary>
public sealed class ApplyOutcomeTests
{
    private const string Key = "tvs-outcome-key-0001";

    /// <summary>One persona, p1, as the fake account holds it; the PATCH and DELETE answers are the test's.</summary>
    private sealed class LyingTavus : IAsyncDisposable
    {
        private readonly RawHttpServer _server;

        public LyingTavus(JsonObject persona, Func<string, LyingTavus, string> onChange)
        {
            Persona = persona;
            _server = new RawHttpServer(request =>
            {
                if (request.StartsWith("GET /v2/personas?", StringComparison.Ordinal))
                {
                    var data = Persona is null ? new JsonArray() : new JsonArray(Persona.DeepClone());
                    return Json(200, new JsonObject { ["data"] = data, ["total_count"] = data.Count });
                }

                if (request.StartsWith("GET /v2/personas/p1 ", StringComparison.Ordinal))
                {
                    return Persona is null ? Json(400, new JsonObject { ["error"] = "Invalid persona_id" }) : Json(200, Persona);
                }

                return onChange(request, this);
            });
        }

        public JsonObject? Persona { get; set; }

        public Uri BaseAddress => _server.BaseAddress;

        public IReadOnlyList<string> Requests => _server.Requests;

        public int Count(string method) => Requests.Count(r => r.StartsWith(method + " ", StringComparison.Ordinal));

        public static string Json(int status, JsonNode body) => RawHttpServer.Response(status, "application/json", body.ToJsonString());

        public static string Empty(int status) => $"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }

    private static JsonObject Coach(string prompt) => new() { ["persona_id"] = "p1", ["persona_name"] = "Coach", ["system_prompt"] = prompt };

    private static async Task<CliResult> ApplyAsync(LyingTavus tavus, string manifest, params string[] extra)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", manifest);
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = tavus.BaseAddress.ToString(), ["OPENAI_API_KEY"] = "sk-OUTCOME-canary-42" };
        var result = await CliRunner.RunAsync(project.Root, env, ["apply", "--auto-approve", "--max-retries", "0", .. extra]);
        (result.Stdout + result.Stderr).ShouldNotContain("sk-OUTCOME-canary-42");
        (result.Stdout + result.Stderr).ShouldNotContain(Key);
        return result;
    }

    private static JsonObject WithLayers(JsonObject persona, JsonObject layers)
    {
        persona["layers"] = layers;
        return persona;
    }

    private static JsonObject Resource(CliResult result) => JsonNode.Parse(result.Stdout)!["resources"]!.AsArray().Single()!.AsObject();

    [Theory]
    [InlineData("a 200 with an empty object", "200 {}")]
    [InlineData("a 200 with the persona as it was", "200 persona")]
    [InlineData("a 200 with no body", "200")]
    [InlineData("a 204", "204")]
    [InlineData("a 304", "304")]
    public async Task APatchAnsweredWithSuccess_ThatTavusDidNotApply_IsNotConverged_Exit1_TheFieldNamed_SentOnce(string _, string answer)
    {
        await using var tavus = new LyingTavus(Coach("Old prompt."), (request, self) => answer switch
        {
            "200 {}" => LyingTavus.Json(200, new JsonObject()),
            "200 persona" => LyingTavus.Json(200, self.Persona!),
            "200" => LyingTavus.Empty(200),
            "204" => LyingTavus.Empty(204),
            _ => LyingTavus.Empty(304),
        });

        var text = await ApplyAsync(tavus, TempProject.Manifest(prompt: "New prompt."));

        text.ExitCode.ShouldBe(1, text.Stderr);
        text.Stdout.ShouldContain($"persona.coach: not converged: Tavus answered the update of p1 with {(answer == "304" ? "304 (no change)" : "success")}, but reading it back, system_prompt is not as planned\n");
        text.Stdout.ShouldContain("Apply incomplete. Personas: 0 added, 0 changed, 0 deleted, 1 not converged, 0 failed, 0 not attempted.");
        text.Stderr.ShouldContain("personaops: error: Tavus answered some changes with success but does not show them (not converged above); nothing was sent again.");
        text.Stdout.ShouldNotContain("Apply complete");
        tavus.Count("PATCH").ShouldBe(1, "a change answered with success is never sent again");
        tavus.Count("POST").ShouldBe(0);

        var json = await ApplyAsync(tavus, TempProject.Manifest(prompt: "New prompt."), "--output", "json");
        json.ExitCode.ShouldBe(1, json.Stderr);
        var coach = Resource(json);
        coach["outcome"]!.GetValue<string>().ShouldBe("not_converged");
        coach["fields"]!.AsArray().Select(f => f!.GetValue<string>()).ShouldBe(["system_prompt"]);
        JsonNode.Parse(json.Stdout)!["summary"]!["not_converged"]!.GetValue<int>().ShouldBe(1);
        JsonNode.Parse(json.Stdout)!["complete"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Theory]
    [InlineData("200", "applied", "updated p1 (confirmed by reading back)")]
    [InlineData("304", "unchanged", "updated p1 (Tavus reported no change; reading back shows it already as planned)")]
    public async Task APatchWhoseReadBackShowsTheTarget_IsAppliedOrUnchanged_Exit0(string status, string outcome, string message)
    {
        await using var tavus = new LyingTavus(Coach("Old prompt."), (request, self) =>
        {
            self.Persona = Coach("New prompt.");
            return LyingTavus.Empty(int.Parse(status, System.Globalization.CultureInfo.InvariantCulture));
        });

        var result = await ApplyAsync(tavus, TempProject.Manifest(prompt: "New prompt."), "--output", "json");

        result.ExitCode.ShouldBe(0, result.Stderr);
        Resource(result)["outcome"]!.GetValue<string>().ShouldBe(outcome);
        Resource(result)["message"]!.GetValue<string>().ShouldBe(message);
        Resource(result).ContainsKey("fields").ShouldBeFalse("fields appear only where something did not converge");
        tavus.Count("PATCH").ShouldBe(1);
    }

    [Fact]
    public async Task ASecretTavusDoesNotReturn_IsNeverCalledNotConverged()
    {
        // --rotate-secrets sends the key; Tavus applies the patch and, as it does, never returns the key.
        await using var tavus = new LyingTavus(WithLayers(Coach("Old prompt."), new JsonObject { ["llm"] = new JsonObject { ["model"] = "m" } }), (request, self) =>
        {
            self.Persona = WithLayers(Coach("New prompt."), new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["api_key"] = "********" } });
            return LyingTavus.Json(200, new JsonObject { ["message"] = "ok" });
        });
        var manifest = TempProject.Manifest(prompt: "New prompt.") + "  layers:\n    llm:\n      model: m\n      api_key: ${env:OPENAI_API_KEY}\n";

        var result = await ApplyAsync(tavus, manifest, "--rotate-secrets");

        result.ExitCode.ShouldBe(0, result.Stdout + result.Stderr);
        result.Stdout.ShouldContain("persona.coach: updated p1 (confirmed by reading back)");
        result.Stdout.ShouldContain("Apply complete! Personas: 0 added, 1 changed, 0 deleted.");
    }

    [Fact]
    public async Task ADeleteAnsweredWithSuccess_OfAPersonaStillThere_IsNotConverged_Exit1()
    {
        await using var tavus = new LyingTavus(Coach("Old prompt."), (request, _) => LyingTavus.Empty(204));
        var manifest = "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\n  ensure: absent\nspec:\n  persona_name: Coach\n";

        var result = await ApplyAsync(tavus, manifest);

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stdout.ShouldContain("persona.coach: not converged: Tavus answered the delete of p1 with success, but the persona is still there when read back");
        tavus.Count("DELETE").ShouldBe(1);
    }

    [Fact]
    public async Task AnInteractiveApply_WhoseAccountCannotBeReadAgainAfterTheYes_AppliesNothing_Exit1()
    {
        var listings = 0;
        await using var server = new RawHttpServer(request => request.StartsWith("GET /v2/personas?", StringComparison.Ordinal) && Interlocked.Increment(ref listings) == 1
            ? LyingTavus.Json(200, new JsonObject { ["data"] = new JsonArray(), ["total_count"] = 0 })
            : LyingTavus.Json(500, new JsonObject { ["message"] = "down" }));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = server.BaseAddress.ToString() };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var io = new IOContext(stdout, stderr, env.GetValueOrDefault, project.Root, IsTerminal: false) { In = new StringReader("yes\n"), IsInteractive = true };

        var exit = await CliApp.RunAsync(["apply", "--max-retries", "0"], io);

        exit.ShouldBe(1, stderr.ToString());
        stderr.ToString().ShouldContain("personaops: error: could not read the live personas again after the confirmation: GET /v2/personas answered 500");
        stderr.ToString().ShouldContain("Nothing was applied.");
        server.Requests.Count(r => r.StartsWith("POST ", StringComparison.Ordinal)).ShouldBe(0);
    }
}
