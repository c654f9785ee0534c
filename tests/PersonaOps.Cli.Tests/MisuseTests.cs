namespace PersonaOps.Cli.Tests;

/// <summary>
/// The command line misused, case by case: a bad option value, an unknown option, a missing value, a
/// misspelt command. Each is one line on stderr naming the problem (and, where one is near, the right
/// spelling), exit 1, nothing on stdout, never a stack trace, and nothing opened or sent.
/// </summary>
public sealed class MisuseTests
{
    public static TheoryData<string, string[]> OneLineCases() => new()
    {
        // --output: only the formats the command emits, listed in the message.
        { "--output must be text, json or markdown for plan, not 'yaml'.", ["plan", "--output", "yaml"] },
        { "--output must be text, json or markdown for plan, not 'md'.", ["plan", "-o", "md"] },
        { "--output must be text, json or markdown for plan, not 'yaml'.", ["plan", "--output=yaml"] },
        { "--output must be text, json or markdown for plan, not 'github'.", ["plan", "--output", "github"] },
        { "--output must be text, json or markdown for drift, not 'github'.", ["drift", "-o", "github"] },
        { "--output must be text, json or markdown for show, not 'github'.", ["show", "plan.json", "--output", "github"] },
        { "--output must be text, json or github for validate, not 'markdown'.", ["validate", "--output", "markdown"] },
        { "--output must be text, json or github for validate, not 'yaml'.", ["validate", "-o", "yaml"] },
        { "--output needs a value", ["plan", "--output"] },

        // Numbers: not a number, out of range, missing.
        { "--timeout must be a whole number, not 'abc'.", ["plan", "--timeout", "abc"] },
        { "--timeout must be between 1 and 600 seconds.", ["drift", "--timeout", "0"] },
        { "--timeout needs a value", ["plan", "--timeout"] },
        { "--max-retries must be a whole number, not 'many'.", ["apply", "--max-retries", "many"] },
        { "--max-retries must be between 0 and 20.", ["apply", "--max-retries", "21"] },
        { "--parallelism must be between 1 and 64.", ["plan", "--parallelism", "0"] },
        { "--parallelism must be a whole number, not '2.5'.", ["apply", "--parallelism", "2.5"] },
        { "--timeout must be a whole number, not 'abc'.", ["import", "--all", "--out", "imported", "--timeout", "abc"] },
        { "--port must be a whole number, not 'abc'.", ["sandbox", "serve", "--port", "abc"] },
        { "--port must be between 0 and 65535.", ["sandbox", "serve", "--port", "70000"] },
        { "--fault-rate must be between 0 and 1.", ["sandbox", "serve", "--fault-rate", "1.5"] },
        { "--fault-rate must be a number, not 'often'.", ["sandbox", "serve", "--fault-rate", "often"] },
        { "--latency-ms must be between 0 and 600000.", ["sandbox", "serve", "--latency-ms", "-5"] },
        { "--retry-after must be a whole number, not 'soon'.", ["sandbox", "serve", "--retry-after", "soon"] },
        { "--unknown-id-status must be 400 or 404, not '500'.", ["sandbox", "serve", "--unknown-id-status", "500"] },
        { "--secrets must be echo, mask or omit, not 'shout'.", ["sandbox", "serve", "--secrets", "shout"] },
        { "--defaults must be keep or omit, not 'drop'.", ["sandbox", "serve", "--defaults", "drop"] },

        // Unknown options: never read as a manifest path; the nearest known option suggested.
        { "unknown option --ouput for plan; did you mean --output?", ["plan", "--ouput", "markdown"] },
        { "unknown option --autoapprove for apply; did you mean --auto-approve?", ["apply", "--autoapprove"] },
        { "unknown option --ouptut for validate; did you mean --output?", ["validate", "--ouptut", "json"] },
        { "unknown option --paralelism for drift; did you mean --parallelism?", ["drift", "--paralelism", "2"] },
        { "unknown option --verbos for plan; did you mean --verbose?", ["plan", "--verbos"] },
        { "unknown option --detailed-exit-code for plan; did you mean --detailed-exitcode?", ["plan", "--detailed-exit-code"] },
        { "unknown option --al for import; did you mean --all?", ["import", "--al", "--out", "imported"] },
        { "unknown option --ouput for show; did you mean --output?", ["show", "plan.json", "--ouput", "json"] },
        { "unknown option --prot for sandbox serve; did you mean --port?", ["sandbox", "serve", "--prot", "1"] },
        { "unknown option --ouput for plan; did you mean --output?", ["plan", "--ouput=json"] },
        { "unknown option --frobnicate for plan; personaops plan --help lists its options.", ["plan", "--frobnicate"] },
        { "unknown option -x for validate; personaops validate --help lists its options.", ["validate", "personas", "-x"] },
        { "unknown option --colour for personaops; personaops --help lists its options.", ["--colour"] },

        // A switch given a value is not a switch followed by a path.
        { "--auto-approve is a switch and takes no value, not 'yes'; give --auto-approve alone.", ["apply", "--auto-approve=yes"] },
        { "--detailed-exitcode is a switch and takes no value, not 'maybe'", ["plan", "--detailed-exitcode:maybe"] },
        { "--no-color is a switch and takes no value, not 'please'", ["validate", "--no-color=please"] },

        // Arguments: missing, or one too many.
        { "show needs a PLANFILE", ["show"] },
        { "unexpected argument 'b.json' for show", ["show", "a.json", "b.json"] },
        { "unexpected argument 'extra' for sandbox serve", ["sandbox", "serve", "extra"] },
        { "--out is required", ["import", "--all"] },
        { "--only needs a value", ["plan", "--only"] },
        { "--sandbox needs a value", ["apply", "--sandbox"] },
    };

    [Theory]
    [MemberData(nameof(OneLineCases))]
    public async Task Misuse_IsOneLineOnStderr_Exit1_NothingOnStdout(string message, string[] args)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, args);

        AssertOneLineMisuse(result);
        result.Stderr.ShouldContain(message);
        File.Exists(Path.Combine(project.Root, ".personaops", "sandbox.db")).ShouldBeFalse("refused before any target was opened");
    }

    public static TheoryData<string, string[]> HelpCases() => new()
    {
        { "unknown command 'paln'; did you mean plan?", ["paln"] },
        { "unknown command 'valdate'; did you mean validate?", ["valdate", "personas"] },
        { "unknown command 'shwo'; did you mean show?", ["shwo", "plan.json"] },
        { "unknown command 'srve' for sandbox; did you mean serve?", ["sandbox", "srve"] },
        { "unknown command 'deploy'.", ["deploy"] },
        { "give a command", [] },
        { "give a command", ["sandbox"] },
        { "give a command", ["--verbose"] },
    };

    /// <summary>A misspelt or missing command: the suggestion, then the help, all on stderr (stdout may be a file).</summary>
    [Theory]
    [MemberData(nameof(HelpCases))]
    public async Task AMisspeltOrMissingCommand_PrintsTheSuggestionAndHelp_OnStderr(string message, string[] args)
    {
        using var project = new TempProject();

        var result = await CliRunner.RunAsync(project.Root, args);

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stdout.ShouldBeEmpty();
        var lines = result.Stderr.Split('\n');
        lines[0].ShouldStartWith("personaops: error: ");
        lines[0].ShouldContain(message);
        result.Stderr.ShouldContain("Usage:");
        result.Stderr.ShouldContain("Commands:");
        AssertNoStackTrace(result.Stderr);
    }

    /// <summary>The real binary: a bad value was an unhandled exception (exit 134 and a stack trace) before.</summary>
    [Theory]
    [InlineData("plan", "--output", "yaml")]
    [InlineData("sandbox", "serve", "--port", "abc")]
    [InlineData("paln")]
    public async Task TheRealProcess_ExitsOne_WithoutAStackTrace(params string[] args)
    {
        using var project = new TempProject();
        using var process = CliProcess.Start(project.Root, new Dictionary<string, string>(), args);

        var result = await process.WaitAsync();

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldStartWith("personaops: error: ");
        AssertNoStackTrace(result.Stderr);
    }

    [Fact]
    public async Task AnUnknownOptionsValue_IsNotEchoed()
    {
        using var project = new TempProject();

        var result = await CliRunner.RunAsync(project.Root, "plan", "--api-key=sk-not-for-logs");

        AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("unknown option --api-key for plan");
        result.Stderr.ShouldNotContain("sk-not-for-logs");
    }

    [Fact]
    public async Task AfterADoubleDash_AnArgumentStartingWithADash_IsAPath()
    {
        using var project = new TempProject();
        project.Write("-odd.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, "validate", "--", "-odd.yaml");

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stderr.ShouldContain("1 manifest(s) in 1 file(s)");
    }

    [Fact]
    public async Task AnOptionValueStartingWithADash_IsTheOptionsValue_NotAnUnknownOption()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, "plan", "--only", "-coach");

        AssertOneLineMisuse(result);
        result.Stderr.ShouldContain("--only names no manifest: -coach.");
    }

    [Fact]
    public async Task Help_StillWins_AndGoesToStdout()
    {
        using var project = new TempProject();

        var result = await CliRunner.RunAsync(project.Root, "plan", "--help");

        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldContain("Usage:");
        result.Stderr.ShouldBeEmpty();
    }

    internal static void AssertOneLineMisuse(CliResult result)
    {
        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stdout.ShouldBeEmpty();
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe(1, result.Stderr);
        lines[0].ShouldStartWith("personaops: error: ");
        AssertNoStackTrace(result.Stderr);
    }

    internal static void AssertNoStackTrace(string stderr)
    {
        stderr.ShouldNotContain("   at ");
        stderr.ShouldNotContain("Exception");
        stderr.ShouldNotContain("System.");
        stderr.ShouldNotContain("internal error");
    }
}
