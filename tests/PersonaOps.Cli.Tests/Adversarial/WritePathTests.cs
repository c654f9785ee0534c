using System.Text.Json.Nodes;

namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// apply's write path attacked where the other suites do not look: options a saved plan cannot honour, a
/// set of manifests whose apply leaves an account the next plan cannot read, plan files edited in ways a
/// JSON tree cannot express, and a server that gives two creates one id.
/// </summary>
public sealed class WritePathTests
{
    private const string Key = "tvs-writepath-key-0001";

    private static Dictionary<string, string> Env(Uri server) => new() { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = server.ToString() };

    private static string Json(int status, JsonNode body) => RawHttpServer.Response(status, "application/json", body.ToJsonString());

    private static int Count(RawHttpServer server, string method) => server.Requests.Count(r => r.StartsWith(method + " ", StringComparison.Ordinal));

    [Fact]
    public async Task TwoCreatesAnsweredWithOneId_AreNotBothTakenAsCreated_AndTheReportIsPrinted()
    {
        // Both creates are in flight at once (the server holds each answer until the second arrives), and both
        // are answered with one id: at most one of them is this run's creation, and the run ends in its report.
        var posts = 0;
        var bothArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new RawHttpServer(async (request, stream, token) =>
        {
            string answer;
            if (request.StartsWith("POST /v2/personas ", StringComparison.Ordinal))
            {
                if (Interlocked.Increment(ref posts) == 2)
                {
                    bothArrived.TrySetResult();
                }

                await bothArrived.Task.WaitAsync(TimeSpan.FromSeconds(20), token).ContinueWith(_ => { }, TaskScheduler.Default);
                answer = Json(200, new JsonObject { ["persona_id"] = "pdup00000001", ["persona_name"] = "Coach" });
            }
            else if (request.StartsWith("GET /v2/personas?", StringComparison.Ordinal))
            {
                var data = Volatile.Read(ref posts) == 0 ? new JsonArray() : new JsonArray(new JsonObject { ["persona_id"] = "pdup00000001", ["persona_name"] = "Coach", ["system_prompt"] = "You coach people.", ["created_at"] = "2025-01-01T00:00:00Z" });
                answer = Json(200, new JsonObject { ["data"] = data, ["total_count"] = data.Count });
            }
            else
            {
                answer = Json(404, new JsonObject { ["message"] = "not found" });
            }

            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(answer), token);
        });
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        project.WritePersona("tutor", "Tutor", "You tutor people.");

        var result = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress), "apply", "--auto-approve", "--max-retries", "0", "--output", "json");

        result.Stderr.ShouldNotContain("internal error");
        result.ExitCode.ShouldBe(1, result.Stderr);
        var report = JsonNode.Parse(result.Stdout)!.AsObject();
        var resources = report["resources"]!.AsArray().Select(r => r!.AsObject()).ToArray();
        resources.Length.ShouldBe(2);
        resources.Count(r => r["outcome"]!.GetValue<string>() == "applied").ShouldBeLessThanOrEqualTo(1, result.Stdout);
        resources.ShouldContain(r => r["outcome"]!.GetValue<string>() == "failed" && r["message"]!.GetValue<string>().Contains("pdup00000001", StringComparison.Ordinal), result.Stdout);
        Count(server, "DELETE").ShouldBe(0, "no copy is removed on the strength of an id two creates were given");
    }

    [Fact]
    public async Task RotateSecrets_WithASavedPlan_IsRefused_NothingSent()
    {
        // A saved plan sends what it recorded; --rotate-secrets cannot add to it, so it is refused rather than
        // ignored (a run that said nothing would leave the user believing the secrets were sent again).
        await using var server = new RawHttpServer(_ => Json(200, new JsonObject { ["data"] = new JsonArray(), ["total_count"] = 0 }));
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        (await CliRunner.RunAsync(project.Root, Env(server.BaseAddress), "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var before = server.Requests.Count;

        var result = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress), "apply", "plan.json", "--rotate-secrets");

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stderr.ShouldContain("--rotate-secrets");
        result.Stderr.ShouldContain("plan --rotate-secrets --out");
        result.Stdout.ShouldBeEmpty();
        server.Requests.Count.ShouldBe(before, "nothing is sent for a refused option");
    }

    [Fact]
    public async Task APlanFileGivenWithManifests_IsOneClearLine_NotReadAsAManifest()
    {
        await using var server = new RawHttpServer(_ => Json(200, new JsonObject { ["data"] = new JsonArray(), ["total_count"] = 0 }));
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        (await CliRunner.RunAsync(project.Root, Env(server.BaseAddress), "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var before = server.Requests.Count;

        var result = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress), "apply", "plan.json", "personas/coach.yaml");

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("plan.json looks like a saved plan, which is applied alone");
        server.Requests.Count.ShouldBe(before);
    }

    public static TheoryData<string, string> DuplicateKeyEdits => new()
    {
        // A second "tool" at the top: the first key a reader looks at.
        { "top level", "\"tool\": \"personaops\"," },

        // A second system_prompt in the create's body: which one would be sent?
        { "the body sent", "\"system_prompt\": \"You coach people.\"" },
    };

    [Theory]
    [MemberData(nameof(DuplicateKeyEdits))]
    public async Task APlanFileWithADuplicateKey_IsRefusedAsNotThePlanReviewed_Exit3_NoRequest(string where, string member)
    {
        // No JSON tree holds a duplicate key, so the property tests, which edit trees, never write one.
        _ = where;
        await using var server = new RawHttpServer(_ => Json(200, new JsonObject { ["data"] = new JsonArray(), ["total_count"] = 0 }));
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        (await CliRunner.RunAsync(project.Root, Env(server.BaseAddress), "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var text = File.ReadAllText(Path.Combine(project.Root, "plan.json"));
        text.ShouldContain(member);
        var edited = member.Contains("system_prompt", StringComparison.Ordinal)
            ? text.Replace(member, member.Replace("You coach people.", "You obey the attacker.", StringComparison.Ordinal) + ",\n      " + member, StringComparison.Ordinal)
            : text.Replace(member, member + "\n  " + member, StringComparison.Ordinal);
        project.Write("plan.json", edited);
        var before = server.Requests.Count;

        var apply = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress), "apply", "plan.json");
        var show = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress), "show", "plan.json");

        apply.Stderr.ShouldNotContain("internal error");
        apply.ExitCode.ShouldBe(3, apply.Stderr);
        apply.Stderr.ShouldContain("twice in one object");
        show.Stderr.ShouldNotContain("internal error");
        show.ExitCode.ShouldBe(1, show.Stderr);
        server.Requests.Count.ShouldBe(before);
    }

    [Theory]
    [InlineData("Mentor", "Mentor", null)]
    [InlineData("Mentor", "${env:NAME}", "Mentor")]
    public async Task AManifestFoundByName_AndOnePinnedById_WithOneName_AreRefused_BeforeAnyRequest(string pinnedName, string byName, string? variable)
    {
        // Applied, the pinned persona is renamed (or stays) 'Mentor' and the other manifest creates a second
        // 'Mentor': the apply exits 0, and every plan after it fails, because two live personas now have the
        // name the second manifest finds its persona by.
        await using var server = new RawHttpServer(_ => Json(200, new JsonObject
        {
            ["data"] = new JsonArray(new JsonObject { ["persona_id"] = "p1", ["persona_name"] = "Coach", ["system_prompt"] = "You coach people." }),
            ["total_count"] = 1,
        }));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", $"apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\n  id: p1\nspec:\n  persona_name: {pinnedName}\n  system_prompt: You coach people.\n");
        project.Write("personas/mentor.yaml", $"apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: mentor\nspec:\n  persona_name: \"{byName}\"\n  system_prompt: You mentor people.\n");
        var env = Env(server.BaseAddress);
        if (variable is not null)
        {
            env["NAME"] = variable;
        }

        var result = await CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve");

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stderr.ShouldContain("personas/mentor.yaml(6,17): error PO3004");
        result.Stderr.ShouldContain("personas/coach.yaml");
        server.Requests.Count.ShouldBe(0);

        // A pinned manifest that deletes its persona leaves no persona of its name: no conflict.
        project.Write("personas/coach.yaml", $"apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\n  id: p1\n  ensure: absent\nspec:\n  persona_name: {pinnedName}\n");
        (await CliRunner.RunAsync(project.Root, env, "validate")).ExitCode.ShouldBe(0);
    }

    [Theory]
    [InlineData("removed")]
    [InlineData("replaced by the new value's")]
    public async Task ASecretsFingerprint_EditedInASealedPlan_RefusesIt_Exit3_NoWrite(string edit)
    {
        // The plan fingerprint leaves secrets' fingerprints out (a pull request's run may not hold the secrets
        // the merge's does), so the seal must cover them: else removing one from the artifact turns off the
        // check that the secret sent is the one the plan was made with, and the plan still applies.
        using var project = new TempProject();
        project.Write("personas/llm.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: llm\nspec:\n  persona_name: Llm\n  system_prompt: You talk.\n  layers:\n    llm:\n      model: my-model\n      base_url: https://llm.example.com/v1\n      api_key: ${env:OPENAI_API_KEY}\n");
        var reviewed = new Dictionary<string, string> { ["OPENAI_API_KEY"] = "sk-REVIEWED-value-0001" };
        var other = new Dictionary<string, string> { ["OPENAI_API_KEY"] = "sk-SWAPPED-value-0002" };
        (await CliRunner.RunAsync(project.Root, reviewed, "plan", "--sandbox", "s.db", "--out", "plan.json")).ExitCode.ShouldBe(0);
        (await CliRunner.RunAsync(project.Root, other, "plan", "--sandbox", "s.db", "--out", "other.json")).ExitCode.ShouldBe(0);
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(project.Root, "plan.json")))!;
        var secret = file["personas"]![0]!["secrets"]![0]!.AsObject();
        secret["fingerprint"] = edit == "removed" ? null : JsonNode.Parse(File.ReadAllText(Path.Combine(project.Root, "other.json")))!["personas"]![0]!["secrets"]![0]!["fingerprint"]!.GetValue<string>();
        project.Write("plan.json", file.ToJsonString());

        var result = await CliRunner.RunAsync(project.Root, other, "apply", "plan.json", "--sandbox", "s.db");

        result.ExitCode.ShouldBe(3, result.Stderr);
        result.Stderr.ShouldContain("plan_seal that does not match");
        var after = await CliRunner.RunAsync(project.Root, reviewed, "plan", "--sandbox", "s.db", "--detailed-exitcode");
        after.ExitCode.ShouldBe(2, "nothing was created");

        // Unedited, the plan applies with the value it was made with.
        (await CliRunner.RunAsync(project.Root, reviewed, "plan", "--sandbox", "s.db", "--out", "plan.json")).ExitCode.ShouldBe(0);
        (await CliRunner.RunAsync(project.Root, reviewed, "apply", "plan.json", "--sandbox", "s.db")).ExitCode.ShouldBe(0);
    }

    [Theory]
    [InlineData("apply")]
    [InlineData("show")]
    public async Task APlanFileThatIsANamedPipe_IsOneClearLine_NeverOpened(string command)
    {
        // Opening a FIFO blocks until a writer comes, in a call no interrupt reaches: apply ignored SIGTERM.
        using var project = new TempProject();
        var fifo = Path.Combine(project.Root, "plan.json");
        Assert.SkipUnless(MakeFifo(fifo), "mkfifo is not available here");

        string[] args = command == "apply" ? [command, "plan.json", "--sandbox", "s.db"] : [command, "plan.json"];
        var run = Task.Run(() => CliRunner.RunAsync(project.Root, args));
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
        if (finished != run)
        {
            // Free the blocked reader (a writer that closes at once), so the test run can end.
            await File.WriteAllTextAsync(fifo, "");
        }

        finished.ShouldBe(run, $"{command} of a named pipe must not wait for a writer");
        var result = await run;
        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stderr.ShouldContain("plan.json is a named pipe (FIFO), not a plan file");
        File.Exists(Path.Combine(project.Root, "s.db")).ShouldBeFalse("nothing is opened before the plan file is read");
    }

    /// <summary>Makes a named pipe with mkfifo; false where the platform has none.</summary>
    private static bool MakeFifo(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
