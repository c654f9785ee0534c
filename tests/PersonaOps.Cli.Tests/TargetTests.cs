using System.Text.Json.Nodes;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// Which API a command talks to, said on stderr every time; an API URL without a key is an error, never a
/// silent switch to the local sandbox.
/// </summary>
public sealed class TargetTests
{
    private const string Key = "target-test-key-5f1e";
    private const string EmptyListing = """{"data": [], "total_count": 0}""";

    [Theory]
    [InlineData("plan")]
    [InlineData("drift")]
    [InlineData("import", "--all", "--out", "imported")]
    public async Task WithAKey_TheCommandNamesTheTavusApi_OnStderr(params string[] args)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", EmptyListing));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var url = server.BaseAddress.ToString().TrimEnd('/');

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = url }, args);

        result.Stderr.ShouldContain($"personaops: using the Tavus API at {url}\n");
        result.Stderr.ShouldNotContain(Key);
        result.Stdout.ShouldNotContain("using the");
    }

    [Theory]
    [InlineData("/tavus?region=eu", "has a query")]
    [InlineData("/tavus#frag", "has a fragment")]
    public async Task AnApiUrlWithAQueryOrFragment_IsRefused_BeforeAnyRequest(string suffix, string message)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", EmptyListing));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var url = server.BaseAddress.ToString().TrimEnd('/') + suffix;

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = url }, "plan");

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain(message);
        result.Stderr.ShouldContain($"({server.BaseAddress.ToString().TrimEnd('/')}/tavus)");
        result.Stderr.ShouldNotContain("abc");
        server.Requests.ShouldBeEmpty();
    }

    /// <summary>
    /// A key an HTTP header cannot carry as it is: a secret pasted with its line end (GitHub keeps it), a
    /// space, a character beyond ASCII. Refused before any request, naming the variable, never the key.
    /// </summary>
    [Theory]
    [InlineData("tvs-key-5f1e\n")]
    [InlineData("tvs-key-5f1e\r\n")]
    [InlineData(" tvs-key-5f1e")]
    [InlineData("tvs-key 5f1e")]
    [InlineData("tvs-key-5f1e\t")]
    [InlineData("tvs-kéy-5f1e")]
    public async Task AKeyAHeaderCannotCarry_IsRefused_BeforeAnyRequest(string key)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", EmptyListing));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var made = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = server.BaseAddress.ToString() }, "plan", "--out", "plan.json");
        made.ExitCode.ShouldBe(0, made.Stderr);
        var before = server.Requests.Count;
        foreach (var args in new[] { new[] { "plan" }, ["drift"], ["apply", "--auto-approve"], ["apply", "plan.json"], ["import", "--all", "--out", "imported"] })
        {
            var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = key, ["TAVUS_API_URL"] = server.BaseAddress.ToString() }, args);

            result.ExitCode.ShouldBe(1, $"{args[0]}: {result.Stderr}");
            result.Stderr.ShouldNotContain("internal error");
            result.Stderr.ShouldContain("TAVUS_API_KEY holds", Case.Sensitive, result.Stderr);
            result.Stderr.ShouldNotContain("5f1e");
            result.Stdout.ShouldBeEmpty();
        }

        server.Requests.Count.ShouldBe(before);
    }

    [Fact]
    public async Task WithAKeyAndNoUrl_TheDefaultTavusApiIsNamed()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        (await CliRunner.RunAsync(project.Root, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);

        // A plan made for the sandbox, applied with a key: the target is named, then the plan refused, before any request.
        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key }, "apply", "plan.json");

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("personaops: using the Tavus API at https://tavusapi.com\n");
        result.Stderr.ShouldContain("but this run targets https://tavusapi.com");
    }

    [Theory]
    [InlineData("folder", "names the folder")]
    [InlineData("not-sqlite.db", "cannot be used as the sandbox")]
    public async Task ASandboxThatIsAFolderOrNotSQLite_IsOneClearLine(string sandbox, string message)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        project.Write("folder/keep.txt", "a folder, not a database");
        project.Write("not-sqlite.db", "hello, I am text");

        var result = await CliRunner.RunAsync(project.Root, "plan", "--sandbox", sandbox);

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain(message);
        result.Stderr.ShouldNotContain("internal error");
    }

    [Fact]
    public async Task ASandboxThatIsANamedPipe_IsOneClearLine_NeverOpened()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var fifo = Path.Combine(project.Root, "pipe.db");
        using (var mkfifo = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [fifo]) { RedirectStandardError = true })!)
        {
            mkfifo.WaitForExit();
            Assert.SkipUnless(mkfifo.ExitCode == 0, "mkfifo is not available here");
        }

        var result = await CliRunner.RunAsync(project.Root, "plan", "--sandbox", "pipe.db").WaitAsync(TimeSpan.FromSeconds(60));

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("--sandbox names a named pipe (FIFO) pipe.db; give the sandbox's SQLite file");
    }

    public static TheoryData<Dictionary<string, string>, string[]> UrlWithoutKey() => new()
    {
        { new() { ["TAVUS_API_URL"] = "https://tavus.example.com" }, ["plan"] },
        { new() { ["TAVUS_API_URL"] = "https://tavus.example.com", ["TAVUS_API_KEY"] = "" }, ["drift"] },
        { new(), ["plan", "--api-url", "https://tavus.example.com"] },
        { new() { ["TAVUS_API_KEY"] = "" }, ["apply", "--auto-approve", "--api-url", "https://tavus.example.com"] },
        { new(), ["import", "--all", "--out", "imported", "--api-url", "https://tavus.example.com"] },
        { new() { ["TAVUS_API_URL"] = "https://tavus.example.com", ["PERSONAOPS_SANDBOX"] = "env.db" }, ["plan"] },
    };

    [Theory]
    [MemberData(nameof(UrlWithoutKey))]
    public async Task AnApiUrlWithoutAKey_IsAnErrorNamingTheVariable_NotTheSandbox(Dictionary<string, string> environment, string[] args)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, environment, args);

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("TAVUS_API_KEY is not set");
        result.Stderr.ShouldContain("https://tavus.example.com");
        Directory.Exists(Path.Combine(project.Root, ".personaops")).ShouldBeFalse("no sandbox was opened");
        File.Exists(Path.Combine(project.Root, "env.db")).ShouldBeFalse("no sandbox was opened");
    }

    [Fact]
    public async Task AnExplicitSandbox_WinsOverAnApiUrlInTheEnvironment_AndSaysWhy()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_URL"] = "https://tavus.example.com" }, "plan", "--sandbox", "mine.db");

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stderr.ShouldContain("personaops: using the local sandbox (mine.db): --sandbox was given, so nothing reaches Tavus.");
    }

    [Fact]
    public async Task AnExplicitSandbox_WithAKeySet_DoesNotClaimTheKeyIsMissing()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key }, "plan", "--sandbox", "mine.db");

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stderr.ShouldContain("personaops: using the local sandbox (mine.db): --sandbox was given, so nothing reaches Tavus.");
        result.Stderr.ShouldNotContain("TAVUS_API_KEY is not set");
    }

    [Fact]
    public async Task WithoutAKey_TheImplicitSandboxSaysWhy()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, "plan");

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stderr.ShouldContain("personaops: using the local sandbox (.personaops/sandbox.db): TAVUS_API_KEY is not set, so nothing reaches Tavus.");
    }

    [Fact]
    public async Task SandboxAndApiUrl_Together_AreRefused()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key }, "plan", "--sandbox", "mine.db", "--api-url", "https://tavus.example.com");

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("--sandbox and --api-url");
        File.Exists(Path.Combine(project.Root, "mine.db")).ShouldBeFalse();
    }
}

/// <summary>show and apply read only plan files PersonaOps wrote, unaltered.</summary>
public sealed class PlanFileTests
{
    private static async Task<TempProject> ProjectWithAPlanAsync()
    {
        var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var plan = await CliRunner.RunAsync(project.Root, "plan", "--out", "plan.json");
        plan.ExitCode.ShouldBe(0, plan.Stderr);
        return project;
    }

    [Theory]
    [InlineData("show")]
    [InlineData("apply")]
    public async Task APlanWithoutItsFingerprint_IsRefused(string command)
    {
        using var project = await ProjectWithAPlanAsync();
        var path = Path.Combine(project.Root, "plan.json");
        var document = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        document.Remove("plan_fingerprint");
        File.WriteAllText(path, document.ToJsonString());

        var result = await CliRunner.RunAsync(project.Root, command, "plan.json");

        // show refuses it as bad input (exit 1); apply as a plan that is not the one reviewed (exit 3).
        result.ExitCode.ShouldBe(command == "apply" ? 3 : 1, result.Stderr);
        MisuseTests.AssertOneLineMisuse(result with { ExitCode = 1 });
        result.Stderr.ShouldContain("plan.json: the plan file has no plan_fingerprint");
    }

    [Theory]
    [InlineData("show")]
    [InlineData("apply")]
    public async Task APlanModifiedAfterItWasWritten_IsRefused(string command)
    {
        using var project = await ProjectWithAPlanAsync();
        var path = Path.Combine(project.Root, "plan.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("You coach people.", "You obey everyone.", StringComparison.Ordinal));

        var result = await CliRunner.RunAsync(project.Root, command, "plan.json");

        // show refuses it as bad input (exit 1); apply as a plan that is not the one reviewed (exit 3).
        result.ExitCode.ShouldBe(command == "apply" ? 3 : 1, result.Stderr);
        MisuseTests.AssertOneLineMisuse(result with { ExitCode = 1 });
        result.Stderr.ShouldContain("modified after it was written");
    }

    [Fact]
    public async Task ASavedPlanWithOnly_IsRefused_NeverAppliedWhole()
    {
        using var project = await ProjectWithAPlanAsync();
        project.Write("personas/tutor.yaml", TempProject.Manifest().Replace("name: coach", "name: tutor", StringComparison.Ordinal).Replace("persona_name: Coach", "persona_name: Tutor", StringComparison.Ordinal));
        (await CliRunner.RunAsync(project.Root, "plan", "--out", "plan.json")).ExitCode.ShouldBe(0);

        var result = await CliRunner.RunAsync(project.Root, "apply", "plan.json", "--only", "coach");

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("--only cannot narrow a saved plan");
        var plan = await CliRunner.RunAsync(project.Root, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(2, "nothing was applied: both personas are still to be created");
        plan.Stdout.ShouldContain("Plan: 2 to add");
    }

    [Theory]
    [InlineData("personas/coach.yaml")]
    [InlineData("other.json", """{"hello": "world"}""")]
    [InlineData("array.json", "[1, 2]")]
    [InlineData("empty.json", "")]
    public async Task Show_OfAFileThatIsNotAPlan_SaysSo(string file, string? content = null)
    {
        using var project = await ProjectWithAPlanAsync();
        if (content is not null)
        {
            project.Write(file, content);
        }

        var result = await CliRunner.RunAsync(project.Root, "show", file);

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain($"{file}: not a PersonaOps plan file");
    }

    [Fact]
    public async Task Show_OfAMissingFile_IsOneLine()
    {
        using var project = new TempProject();

        var result = await CliRunner.RunAsync(project.Root, "show", "nowhere.json");

        MisuseTests.AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("cannot read the plan file nowhere.json");
    }

    [Theory]
    [InlineData("text", "Plan: 1 to add, 0 to change, 0 to delete.")]
    [InlineData("json", "\"plan_fingerprint\"")]
    [InlineData("markdown", "<!-- personaops:plan sha256=")]
    public async Task Show_OfAnIntactPlan_RendersIt(string output, string expected)
    {
        using var project = await ProjectWithAPlanAsync();

        var result = await CliRunner.RunAsync(project.Root, "show", "plan.json", "--output", output);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldContain(expected);
    }
}
