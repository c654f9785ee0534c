namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// Credentials written into URLs: TAVUS_API_URL with <c>user:pass@</c> or <c>?api_key=</c> is refused in one
/// line before any request, and never printed with them; a live persona whose base_url carries credentials
/// is planned with them masked, and imported without them.
/// </summary>
public sealed class UrlCredentialTests
{
    private const string Key = "url-test-key-5f1e";

    public static TheoryData<string, string> ApiUrls() => new()
    {
        { "http://deploy:CANARY-pass-1@{host}", "a user name and password" },
        { "http://CANARY-user-2@{host}", "a user name and password" },
        { "http://{host}/?api_key=CANARY-query-3", "the query parameter 'api_key'" },
        { "http://{host}/v2?Token=CANARY-query-4", "the query parameter 'Token'" },
        { "ftp://deploy:CANARY-pass-5@{host}", "a user name and password" },
        { "deploy:CANARY-pass-6@{host}", "" },
    };

    [Theory]
    [MemberData(nameof(ApiUrls))]
    public async Task AnApiUrlWithCredentials_IsOneLine_NeverPrintedWithThem_AndNothingIsSent(string template, string what)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var url = template.Replace("{host}", server.BaseAddress.Authority, StringComparison.Ordinal);

        foreach (var args in new[] { ["plan"], ["apply", "--auto-approve"], ["import", "--all", "--out", "imported"], new[] { "plan", "--api-url", url } })
        {
            var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key };
            if (!args.Contains("--api-url"))
            {
                env["TAVUS_API_URL"] = url;
            }

            var result = await CliRunner.RunAsync(project.Root, env, args);

            MisuseTests.AssertOneLineMisuse(result);
            result.Stderr.ShouldNotContain("CANARY", Case.Insensitive, string.Join(" ", args));
            result.Stderr.ShouldContain(what);
        }

        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task AnApiUrlWithCredentialsButNoKey_IsNamedWithoutThem()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_URL"] = "https://deploy:CANARY-pass-7@tavus.example.com/?key=CANARY-query-8" }, "plan");

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("TAVUS_API_KEY is not set");
        result.Stderr.ShouldContain("tavus.example.com");
        result.Stderr.ShouldNotContain("CANARY", Case.Insensitive);
    }

    private const string LivePersona = """
        {"data": [{"persona_id": "p0000000c0ac", "persona_name": "Coach", "persona_type": "user", "system_prompt": "You coach people.",
          "layers": {"llm": {"model": "my-llm", "base_url": "https://tenant:CANARY-live-pass-9@llm.example.com/v1?api_key=CANARY-live-query-10&sig=z9q"}}}],
         "total_count": 1}
        """;

    [Fact]
    public async Task ALivePersonaWhoseUrlCarriesCredentials_IsPlannedWithThemMasked_AndImportedWithoutThem()
    {
        await using var server = new RawHttpServer(request => RawHttpServer.Response(200, "application/json",
            request.StartsWith("GET /v2/personas/", StringComparison.Ordinal) ? LivePersona[LivePersona.IndexOf('{', 1)..LivePersona.LastIndexOf(']')] : LivePersona));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

        // The manifest has no LLM layer: the plan removes it, and shows what it removes, masked.
        foreach (var output in new[] { "text", "json", "markdown" })
        {
            var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--output", output, "--out", $"plan-{output}.json", "--verbose");
            plan.ExitCode.ShouldBe(0, plan.Stderr);
            plan.Stdout.ShouldContain("llm.example.com");
            (plan.Stdout + plan.Stderr).ShouldNotContain("CANARY", Case.Insensitive, plan.Stdout);
            File.ReadAllText(Path.Combine(project.Root, $"plan-{output}.json")).ShouldNotContain("CANARY", Case.Insensitive);

            // A credential too short for the redactor (which masks values of 6 characters or more) is stripped as a URL's.
            plan.Stdout.ShouldNotContain("z9q");
            File.ReadAllText(Path.Combine(project.Root, $"plan-{output}.json")).ShouldNotContain("z9q");
        }

        var show = await CliRunner.RunAsync(project.Root, env, "show", "plan-text.json");
        show.ExitCode.ShouldBe(0, show.Stderr);
        show.Stdout.ShouldNotContain("CANARY", Case.Insensitive);
        show.Stdout.ShouldNotContain("z9q");

        var import = await CliRunner.RunAsync(project.Root, env, "import", "--all", "--out", "imported");
        import.ExitCode.ShouldBe(0, import.Stderr);
        (import.Stdout + import.Stderr).ShouldNotContain("CANARY", Case.Insensitive);
        import.Stderr.ShouldContain("layers.llm.base_url left out: it carries credentials");
        var manifest = File.ReadAllText(Directory.GetFiles(Path.Combine(project.Root, "imported")).Single());
        manifest.ShouldNotContain("CANARY", Case.Insensitive);
        manifest.ShouldNotContain("z9q");
        manifest.ShouldNotContain("base_url");
    }
}
