namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// Hostile input files and output channels: text from a manifest can never become a GitHub Actions
/// workflow command, and files that are not regular manifests (FIFOs, devices, folders named x.yaml,
/// huge files) are refused or skipped with one clear line, never opened blocking.
/// </summary>
public sealed class HostileInputTests
{
    /// <summary>Far beyond what any of these takes; reached only if something blocks.</summary>
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A manifest whose every user-derived string tries a workflow command: at a line start (with and
    /// without leading whitespace, which the runner trims), and the legacy <c>##[command]</c> form, which the
    /// runner finds anywhere in a line.
    /// </summary>
    private const string Injecting = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: "Coach\n::set-output name=a::b"
          system_prompt: "Line one\n::stop-commands::tok\n  ::add-mask::x\n\u00a0::error::nbsp\nsee ##[add-mask]y\nend"
          layers:
            llm:
              model: m
              extra_body: {"::k\n::warning::x ##[set-output name=z;]w": 1}
        """;

    /// <summary>The same attacks in places validation reports: an unknown key and a value outside its enumeration.</summary>
    private const string InjectingInvalid = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: hi
          "x\n::stop-commands::tok ##[add-mask]k": 1
          pipeline_mode: "  ::set-output name=x::y\n ::error::z ##[error]e"
        """;

    /// <summary>
    /// Every line the runner would take for a command: one that starts with "::" once leading whitespace is
    /// trimmed (as the runner's TrimStart does), or one holding the legacy "##[" anywhere. PersonaOps's own
    /// annotations (<paramref name="annotations"/>) are allowed, and only as whole lines it wrote.
    /// </summary>
    private static void ShouldHoldNoWorkflowCommand(string output, bool annotations = false)
    {
        foreach (var line in output.Split('\n'))
        {
            line.ShouldNotContain("##[", Case.Sensitive, $"a legacy workflow command in: {line}");
            if (line.TrimStart().StartsWith("::", StringComparison.Ordinal))
            {
                annotations.ShouldBeTrue($"a workflow command in: {line}");
                line.ShouldMatch(@"^::(error|warning) file=[^:,]*,line=\d+,col=\d+,title=PO\d{4}::PO\d{4}: ", $"only PersonaOps's own annotation: {line}");
            }
        }
    }

    [Fact]
    public async Task Validate_InTextAndGitHubFormats_PrintsNoWorkflowCommandFromUserText()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", InjectingInvalid);

        var text = await CliRunner.RunAsync(project.Root, "validate");
        var github = await CliRunner.RunAsync(project.Root, "validate", "--output", "github");
        var actions = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["GITHUB_ACTIONS"] = "true" }, "validate");

        text.ExitCode.ShouldBe(1);
        text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2, text.Stdout);
        ShouldHoldNoWorkflowCommand(text.Stdout + text.Stderr);
        text.Stdout.ShouldContain(@"spec.pipeline_mode is '  ::set-output name=x::y\u000a ::error::z ##\u005berror]e', which");
        github.ExitCode.ShouldBe(1);
        github.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2, github.Stdout);
        ShouldHoldNoWorkflowCommand(github.Stdout + github.Stderr, annotations: true);
        actions.Stdout.ShouldBe(github.Stdout);
    }

    [Fact]
    public async Task AFileNamedLikeACommand_CannotStartADiagnosticLine()
    {
        using var project = new TempProject();
        project.Write("::stop-commands::tok.yaml", "a: [");
        project.Write("##[add-mask]k.yaml", "a: [");

        var text = await CliRunner.RunAsync(project.Root, "validate", "::stop-commands::tok.yaml", "##[add-mask]k.yaml");
        var github = await CliRunner.RunAsync(project.Root, "validate", "--output", "github", "::stop-commands::tok.yaml", "##[add-mask]k.yaml");

        text.ExitCode.ShouldBe(1);
        text.Stdout.ShouldContain("\n" + @"\u003a:stop-commands::tok.yaml(2,1): error PO1004:");
        text.Stdout.ShouldStartWith(@"##\u005badd-mask]k.yaml(2,1): error PO1004:");
        ShouldHoldNoWorkflowCommand(text.Stdout + text.Stderr);
        ShouldHoldNoWorkflowCommand(github.Stdout + github.Stderr, annotations: true);
        github.Stdout.ShouldContain("::error file=%3A%3Astop-commands%3A%3Atok.yaml,line=2,col=1,title=PO1004::");
    }

    public static TheoryData<string> PlanFormats() => ["text", "markdown"];

    [Theory]
    [MemberData(nameof(PlanFormats))]
    public async Task Plan_OfACreate_PrintsNoWorkflowCommandFromUserText(string format)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Injecting);

        var plan = await CliRunner.RunAsync(project.Root, "plan", "--output", format);

        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain("Line one");
        ShouldHoldNoWorkflowCommand(plan.Stdout + plan.Stderr);
    }

    [Theory]
    [MemberData(nameof(PlanFormats))]
    public async Task PlanAndDrift_OfAnUpdate_PrintNoWorkflowCommand_InUnchangedContextLines(string format)
    {
        // Unchanged lines of a prompt are shown unmarked, indented only: the runner trims that indent.
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Injecting);
        var apply = await CliRunner.RunAsync(project.Root, "apply", "--auto-approve");
        apply.ExitCode.ShouldBe(0, apply.Stdout + apply.Stderr);
        project.Write("personas/coach.yaml", Injecting.Replace("Line one", "Line two", StringComparison.Ordinal));

        var plan = await CliRunner.RunAsync(project.Root, "plan", "--output", format);
        var drift = await CliRunner.RunAsync(project.Root, "drift", "--output", format);

        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain("Line two");
        plan.Stdout.ShouldContain(@"\u003a:stop-commands::tok");
        ShouldHoldNoWorkflowCommand(plan.Stdout + plan.Stderr);
        drift.ExitCode.ShouldBe(2, drift.Stderr);
        ShouldHoldNoWorkflowCommand(drift.Stdout + drift.Stderr);
    }

    /// <summary>Makes a named pipe with mkfifo; false where the platform has none (the test then proves nothing and says so).</summary>
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

    [Fact]
    public async Task AFifoNamedLikeAManifest_InTheFolder_IsSkippedWithAWarning_NeverOpened()
    {
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        Assert.SkipUnless(MakeFifo(Path.Combine(project.Root, "personas", "pipe.yaml")), "mkfifo is not available here");

        // Opening the FIFO for reading would block until a writer came: the bound turns a hang into a failure.
        var validate = await CliRunner.RunAsync(project.Root, "validate").WaitAsync(HangBound);
        var plan = await CliRunner.RunAsync(project.Root, "plan").WaitAsync(HangBound);

        validate.ExitCode.ShouldBe(0, validate.Stdout + validate.Stderr);
        validate.Stdout.ShouldContain("personas/pipe.yaml(1,1): warning PO4005: skipped: this is a named pipe (FIFO), not a manifest file");
        validate.Stderr.ShouldContain("1 manifest(s)");
        plan.ExitCode.ShouldBe(0, plan.Stdout + plan.Stderr);
        plan.Stdout.ShouldContain("Coach");
    }

    [Fact]
    public async Task ADeviceNamedLikeAManifest_InTheFolder_IsSkippedWithAWarning_NeverRead()
    {
        // /dev/zero's twin: length 0, and reading it never ends.
        using var project = new TempProject();
        project.WritePersona("coach", "Coach", "You coach people.");
        var device = Path.Combine(project.Root, "personas", "zero.yaml");
        var made = false;
        if (!OperatingSystem.IsWindows())
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mknod", [device, "c", "1", "5"]) { RedirectStandardError = true })!;
            process.WaitForExit();
            made = process.ExitCode == 0;
        }

        Assert.SkipUnless(made, "mknod needs privileges this run does not have");

        var validate = await CliRunner.RunAsync(project.Root, "validate").WaitAsync(HangBound);

        validate.ExitCode.ShouldBe(0, validate.Stdout + validate.Stderr);
        validate.Stdout.ShouldContain("personas/zero.yaml(1,1): warning PO4005: skipped: this is a character device, not a manifest file");
    }

    [Fact]
    public async Task AFifoNamedOnTheCommandLine_IsAnError_NeverOpened()
    {
        using var project = new TempProject();
        Assert.SkipUnless(MakeFifo(Path.Combine(project.Root, "pipe.yaml")), "mkfifo is not available here");

        var validate = await CliRunner.RunAsync(project.Root, "validate", "pipe.yaml").WaitAsync(HangBound);

        validate.ExitCode.ShouldBe(1);
        validate.Stdout.ShouldContain("pipe.yaml(1,1): error PO1013: this is a named pipe (FIFO), not a manifest file");
    }

    [Fact]
    public async Task ADirThatIsAFile_OrMissing_OrAPipe_IsOneClearLine_AndExit1()
    {
        using var project = new TempProject();
        project.Write("notes.txt", "x");
        var hasFifo = MakeFifo(Path.Combine(project.Root, "pipe"));

        foreach (var (dir, expected) in new[]
        {
            ("notes.txt", "personaops: error: --dir names 'notes.txt', which is a file; --dir takes the project folder (the one that holds personas/). To read one manifest, name it as a path: personaops validate notes.txt"),
            ("nowhere", "personaops: error: --dir names 'nowhere', which does not exist; --dir takes the project folder (the one that holds personas/)."),
            ("pipe", "personaops: error: --dir names 'pipe', which is a named pipe (FIFO); --dir takes the project folder (the one that holds personas/)."),
        })
        {
            if (dir == "pipe" && !hasFifo)
            {
                continue;
            }

            foreach (var command in new[] { "validate", "plan", "drift", "apply", "import --out imported", "show plan.json" })
            {
                var result = await CliRunner.RunAsync(project.Root, [.. command.Split(' '), "--dir", dir]).WaitAsync(HangBound);
                result.ExitCode.ShouldBe(1, $"{command} --dir {dir}");
                result.Stdout.ShouldBeEmpty();
                result.Stderr.TrimEnd().ShouldBe(expected, $"{command} --dir {dir}");
            }
        }
    }
}
