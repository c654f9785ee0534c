namespace PersonaOps.Cli.Tests;

/// <summary>
/// plan, drift and apply against a server that misbehaves: each ends in exit 1 with a clear error on stderr,
/// prints no plan (not even part of one), changes nothing, and never shows the API key.
/// </summary>
public sealed class BadServerTests
{
    private const string Key = "tvs-CANARY-badserver-key";

    private static readonly string Manifest = TempProject.Manifest();

    private const string OnePersona = """{"persona_id":"p1","persona_name":"Coach","system_prompt":"You coach people.","created_at":"2026-01-01T00:00:00Z"}""";

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "malformed JSON", RawHttpServer.Response(200, "application/json", """{"data": [{"persona_id": "p1"""), "not JSON" },
        { "an HTML page with 200", RawHttpServer.Response(200, "text/html", "<html><body>Service temporarily unavailable</body></html>"), "not JSON (text/html)" },
        { "a 200 with an empty body", RawHttpServer.Response(200, "application/json", ""), "answered 200 with an empty body" },
        { "JSON of another shape", RawHttpServer.Response(200, "application/json", """{"personas": []}"""), "documented" },
        { "a total_count its pages disagree with", RawHttpServer.Response(200, "application/json", $$"""{"data": [{{OnePersona}}], "total_count": 3}"""), "total_count is 3 but the list ends at page 1 with 1 persona" },
        { "a 401", RawHttpServer.Response(401, "application/json", """{"message":"Invalid access token"}"""), "TAVUS_API_KEY" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryCommand_Fails_Clearly_WithNoPartialPlan(string behaviour, string response, string expected)
    {
        await using var server = new RawHttpServer(_ => response);
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);
        foreach (var args in new[] { new[] { "plan" }, ["drift"], ["apply", "--auto-approve"], ["plan", "--output", "json", "--out", "plan.json"] })
        {
            var result = await RunAsync(project, server.BaseAddress, args);
            result.ExitCode.ShouldBe(1, $"{behaviour}, {string.Join(' ', args)}: {result.Stderr}");
            result.Stdout.ShouldBeEmpty($"{behaviour}, {string.Join(' ', args)}: no plan, not even part of one");
            result.Stderr.ShouldContain(expected, Case.Insensitive, behaviour);
            (result.Stdout + result.Stderr).ShouldNotContain(Key);
        }

        File.Exists(Path.Combine(project.Root, "plan.json")).ShouldBeFalse("no plan file from a failed read");
        server.Requests.ShouldAllBe(r => r.StartsWith("GET ", StringComparison.Ordinal), "nothing but reads was sent");
    }

    [Fact]
    public async Task ASavedPlan_AppliedWhileTheServerMisbehaves_FailsClearly_ChangingNothing()
    {
        var healthy = true;
        await using var server = new RawHttpServer(_ => Volatile.Read(ref healthy)
            ? RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}""")
            : RawHttpServer.Response(200, "text/html", "<html>maintenance</html>"));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);
        (await RunAsync(project, server.BaseAddress, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);
        Volatile.Write(ref healthy, false);

        var result = await RunAsync(project, server.BaseAddress, "apply", "plan.json");

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("personaops: error: GET /v2/personas answered 200 with a body that is not JSON (text/html)");
        result.Stderr.ShouldNotContain("internal error");
        server.Requests.ShouldAllBe(r => r.StartsWith("GET ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARedirectToAnotherHost_IsNotFollowed_SoTheKeyNeverLeaves()
    {
        await using var elsewhere = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        var location = new UriBuilder(elsewhere.BaseAddress) { Host = "localhost", Path = "/v2/personas" }.Uri;
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(302, "text/plain", "moved", $"Location: {location}\r\n"));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);

        var result = await RunAsync(project, server.BaseAddress, "plan");

        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldContain("302");
        elsewhere.Requests.ShouldBeEmpty("the redirect was not followed, so the other host never saw the key");
    }

    [Fact]
    public async Task AServerThatNeverAnswers_TimesOut_AfterTheConfiguredTimeoutAndRetries()
    {
        await using var server = new RawHttpServer(_ => null);
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);

        var result = await RunAsync(project, server.BaseAddress, "plan", "--timeout", "1", "--max-retries", "1");

        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldContain("no complete answer within the attempt timeout (1 s, --timeout)");
        server.Requests.Count.ShouldBe(2, "one attempt and the one retry asked for");
    }

    [Theory]
    [InlineData("--timeout", "0", "--timeout must be between 1 and 600 seconds.")]
    [InlineData("--max-retries", "-1", "--max-retries must be between 0 and 20.")]
    [InlineData("--max-response-size", "0", "--max-response-size must be between 1 and 1024 MiB.")]
    public async Task RequestLimits_OutOfRange_AreBadUsage(string option, string value, string message)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);

        var result = await RunAsync(project, server.BaseAddress, "plan", option, value);

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain(message);
        server.Requests.ShouldBeEmpty();
    }

    private static Task<CliResult> RunAsync(TempProject project, Uri url, params string[] args) =>
        CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = url.ToString() }, args);
}
