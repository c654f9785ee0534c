using System.Text.RegularExpressions;

namespace PersonaOps.Cli.Tests.Git;

/// <summary>
/// plan --head REV: the manifests of a revision read from Git's objects, never from the work tree (how a fork's
/// pull request is planned as data, and how apply replays a merge); --untrusted: manifests someone else wrote,
/// whose plan must not show them this job's variables.
/// </summary>
public sealed class HeadRevisionTests
{
    private const string Company = "Initech-Confidential-7781";
    private static readonly Dictionary<string, string> Env = new() { ["OPENAI_API_KEY"] = "sk-test-0123456789abcdef", ["COMPANY"] = Company };

    private static string Manifest(string name, string prompt, string extra = "") => $"""
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: {name}
        spec:
          persona_name: {name}
          system_prompt: "{prompt}"
        {extra}
        """;

    private static Task<CliResult> Run(TempRepository repo, params string[] args) => CliRunner.RunAsync(repo.Root, Env, args);

    private static string Marker(string markdown) => Regex.Match(markdown, "<!-- personaops:plan sha256=([0-9a-f]{64}) -->").Groups[1].Value;

    [Fact]
    public async Task APlanOfARevision_IsThePlanOfItsCheckout_WhateverTheWorkTreeHoldsNow()
    {
        using var repo = new TempRepository();
        repo.Write(".gitignore", ".personaops/\n");
        repo.Write("personas/coach.yaml", Manifest("coach", "You coach."));
        var first = repo.Commit("coach");
        (await Run(repo, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        repo.Write("personas/coach.yaml", Manifest("coach", "You coach kindly."));
        repo.Write("personas/mentor.yaml", Manifest("mentor", "You mentor."));
        var second = repo.Commit("coach and mentor");
        var fromCheckout = await Run(repo, "plan", "--base", first, "--output", "markdown", "--commit", second);

        // The work tree moves on, and holds a file that is not even a manifest.
        repo.Write("personas/coach.yaml", Manifest("coach", "Something else entirely."));
        repo.Write("personas/broken.yaml", "kind: [");
        var fromRevision = await Run(repo, "plan", "--base", first, "--head", second, "--output", "markdown", "--commit", second);

        fromCheckout.ExitCode.ShouldBe(0, fromCheckout.Stderr);
        fromRevision.ExitCode.ShouldBe(0, fromRevision.Stderr);
        fromRevision.Stdout.ShouldBe(fromCheckout.Stdout, "the same manifests, the same account: the same plan, to the fingerprint");
        Marker(fromRevision.Stdout).Length.ShouldBe(64);
        fromRevision.Stdout.ShouldContain("coach kindly");
        fromRevision.Stdout.ShouldNotContain("Something else entirely.");
    }

    [Fact]
    public async Task ASavedPlanOfARevision_AppliesThatRevision()
    {
        using var repo = new TempRepository();
        repo.Write(".gitignore", ".personaops/\n");
        repo.Write("personas/coach.yaml", Manifest("coach", "You coach."));
        var first = repo.Commit("coach");
        repo.Write("personas/coach.yaml", Manifest("coach", "Not committed."));

        var plan = await Run(repo, "plan", "--head", first, "--out", "plan.json");
        var apply = await Run(repo, "apply", "plan.json");
        var after = await Run(repo, "plan", "--head", first, "--detailed-exitcode");

        plan.ExitCode.ShouldBe(0, plan.Stderr);
        apply.ExitCode.ShouldBe(0, apply.Stderr);
        after.ExitCode.ShouldBe(0, "the revision's manifests are what the account now holds: " + after.Stdout);
    }

    [Theory]
    [InlineData("no-such-branch", "--head names 'no-such-branch', which is not a commit of this repository")]
    [InlineData("--", "--head names")]
    public async Task ARevisionThatIsNoCommit_IsAClearError_BeforeAnyRequest(string revision, string message)
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", Manifest("coach", "You coach."));
        repo.Commit("coach");

        var result = await Run(repo, "plan", "--head=" + revision);

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain(message);
        result.Stderr.ShouldNotContain("   at ");
        File.Exists(Path.Combine(repo.Root, ".personaops", "sandbox.db")).ShouldBeFalse("nothing was sent, not even to the sandbox");
    }

    [Theory]
    [InlineData("--head")]
    [InlineData("--base")]
    public async Task ARevisionWithControlCharacters_IsShownEscaped_NeverSentToTheTerminalRaw(string option)
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", Manifest("coach", "You coach."));
        repo.Commit("coach");

        var result = await Run(repo, "plan", option, "main\u001b]0;owned\u0007\u001b[2J");

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain($"{option} names '");
        result.Stderr.ShouldNotContain("\u001b");
        result.Stderr.ShouldNotContain("\u0007");
    }

    [Fact]
    public async Task HeadOutsideAnyRepository_IsAClearError()
    {
        var folder = Path.Combine(Path.GetTempPath(), "personaops-nogit-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(folder, "personas"));
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "personas", "coach.yaml"), Manifest("coach", "You coach."));
            var result = await CliRunner.RunAsync(folder, Env, "plan", "--head", "main");
            result.ExitCode.ShouldBe(1);
            result.Stderr.ShouldContain("--head needs the project to be inside a Git repository");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task DriftAdopt_RefusesHead_SinceItRewritesTheWorkTree()
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", Manifest("coach", "You coach."));
        var first = repo.Commit("coach");

        var result = await Run(repo, "drift", "--adopt", "--head", first);

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("drift --adopt rewrites the manifests in the work tree, and --head reads them from another revision");
    }

    [Fact]
    public async Task ApplyHasNoHead_ItAppliesTheWorkTreeOrAPlanFile()
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", Manifest("coach", "You coach."));
        var first = repo.Commit("coach");

        var result = await Run(repo, "apply", "--auto-approve", "--head", first);

        result.ExitCode.ShouldNotBe(0);
        File.Exists(Path.Combine(repo.Root, ".personaops", "sandbox.db")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("system_prompt: \"We are ${env:COMPANY}.\"", "spec.system_prompt references ${env:COMPANY}")]
    [InlineData("context: \"${env:COMPANY}\"", "spec.context references ${env:COMPANY}")]
    [InlineData("layers:\n    llm:\n      model: \"${env:COMPANY}\"", "spec.layers.llm.model references ${env:COMPANY}")]
    public async Task Untrusted_AVariableOutsideASecretField_IsRefused_AndItsValueShownNowhere(string field, string message)
    {
        using var repo = new TempRepository();
        var yaml = $"""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: coach
              {field.Replace("\n", "\n  ", StringComparison.Ordinal)}
            """;
        if (!field.StartsWith("system_prompt", StringComparison.Ordinal))
        {
            yaml += "\n  system_prompt: You coach.\n";
        }

        repo.Write("personas/coach.yaml", yaml);
        var head = repo.Commit("from a fork");

        var result = await Run(repo, "plan", "--head", head, "--untrusted", "--output", "markdown");

        result.ExitCode.ShouldBe(1, result.Stdout);
        result.Stderr.ShouldContain("personas/coach.yaml(");
        result.Stderr.ShouldContain("PO3016");
        result.Stderr.ShouldContain(message);
        (result.Stdout + result.Stderr).ShouldNotContain(Company);
        File.Exists(Path.Combine(repo.Root, ".personaops", "sandbox.db")).ShouldBeFalse("refused before any request");

        var trusted = await Run(repo, "plan", "--head", head, "--output", "markdown");
        trusted.ExitCode.ShouldBe(0, "without --untrusted the same manifest plans: " + trusted.Stderr);
    }

    [Fact]
    public async Task Untrusted_ASecretFieldMayReferenceAVariable_WhoseValueIsNeverShown()
    {
        using var repo = new TempRepository();
        repo.Write("personas/coach.yaml", Manifest("coach", "You coach.", """
              layers:
                llm:
                  model: gpt-4o
                  base_url: https://llm.example.com/v1
                  api_key: ${env:OPENAI_API_KEY}
            """));
        var head = repo.Commit("from a fork");

        var result = await Run(repo, "plan", "--head", head, "--untrusted", "--output", "markdown");

        result.ExitCode.ShouldBe(0, result.Stderr);
        (result.Stdout + result.Stderr).ShouldNotContain(Env["OPENAI_API_KEY"]);
        Marker(result.Stdout).Length.ShouldBe(64);
    }

    private const string Project = """
        environments:
          staging:
            api_key_env: TAVUS_API_KEY_STAGING
        default_environment: staging
        """;

    private static string Overlay(string prompt) => $"""
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          system_prompt: "{prompt}"
        """;

    [Fact]
    public async Task WithEnvironments_HeadReadsTheRevisionsOverlays_ButNeverItsProjectFile()
    {
        using var repo = new TempRepository();
        repo.Write(".gitignore", ".personaops/\n");
        repo.Write("personaops.yaml", Project);
        repo.Write("personas/coach.yaml", Manifest("coach", "The base prompt."));
        repo.Write("environments/staging/coach.yaml", Overlay("The staging prompt of the revision."));
        var first = repo.Commit("coach, staging overlay");
        // A later revision (a fork's, say) points the environment at another API and key.
        repo.Write("personaops.yaml", Project.Replace("api_key_env: TAVUS_API_KEY_STAGING", "api_key_env: OPENAI_API_KEY\n    api_url: https://collector.invalid", StringComparison.Ordinal));
        var hostile = repo.Commit("another API");
        repo.Git("checkout", "-q", first, "--", "personaops.yaml");
        repo.Write("environments/staging/coach.yaml", Overlay("The work tree's overlay."));

        var plan = await Run(repo, "plan", "--head", first, "--output", "json");
        var other = await Run(repo, "plan", "--head", hostile, "--no-color");

        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain("The staging prompt of the revision.");
        plan.Stdout.ShouldNotContain("The work tree's overlay.");
        other.ExitCode.ShouldBe(0, other.Stderr);
        other.Stderr.ShouldNotContain("collector.invalid");
        other.Stderr.ShouldContain("sandbox");
    }
}
