using System.Text.Json.Nodes;
using PersonaOps.Cli.Tests.Git;

namespace PersonaOps.Cli.Tests.Workflows;

/// <summary>The harness itself does what a runner does with the parts the example workflows use.</summary>
public sealed class WorkflowHarnessTests
{
    private const string Workflow = """
        on: push
        env:
          LEVEL: workflow
          SECRET: ${{ secrets.S }}
        jobs:
          one:
            runs-on: ubuntu-latest
            env:
              LEVEL: job
              EVENT_VALUE: ${{ github.event.thing.value }}
            steps:
              - name: Write
                id: write
                env:
                  LEVEL: step
                run: |
                  echo "level=$LEVEL secret=$SECRET event=$EVENT_VALUE repo=$GITHUB_REPOSITORY" > seen.txt
                  echo "plain=one" >> "$GITHUB_OUTPUT"
                  printf 'many<<EOF\nline 1\nline 2\nEOF\n' >> "$GITHUB_OUTPUT"
                  echo "CARRIED=from write" >> "$GITHUB_ENV"
                  mkdir -p bin && printf '#!/bin/sh\necho tool ran\n' > bin/tool && chmod +x bin/tool
                  echo "$PWD/bin" >> "$GITHUB_PATH"
              - name: Read
                env:
                  PLAIN: ${{ steps.write.outputs.plain }}
                  MANY: ${{ steps.write.outputs.many }}
                run: |
                  echo "level=$LEVEL plain=$PLAIN carried=$CARRIED $(tool)" >> seen.txt
                  printf '%s\n' "$MANY" >> seen.txt
              - name: Only when plain is one
                if: steps.write.outputs.plain == 'one'
                run: echo "matched" >> seen.txt
              - name: Fail
                run: exit 3
              - name: Skipped after a failure
                run: echo "must not run" >> seen.txt
              - name: Always
                if: always() && steps.write.outputs.plain != 'two'
                run: echo "always" >> seen.txt
        """;

    [Fact]
    public async Task EnvOutputsPathAndConditions_CarryBetweenSteps_AsOnARunner()
    {
        using var repo = new TempRepository();
        var file = repo.Write(".github/workflows/test.yml", Workflow);
        var run = new WorkflowHarness.RunContext
        {
            Workspace = repo.Root,
            EventName = "push",
            Event = new JsonObject { ["thing"] = new JsonObject { ["value"] = "from the event" } },
            Sha = "0123",
            GitHub = new FakeGitHub(),
            Secrets = new() { ["S"] = "shh" },
        };

        var job = await new WorkflowHarness(file).RunJobAsync("one", run);

        job.Succeeded.ShouldBeFalse(job.Log);
        job.Steps.Select(s => (s.Name, s.Outcome)).ShouldBe([
            ("Write", "success"), ("Read", "success"), ("Only when plain is one", "success"), ("Fail", "failure"),
            ("Skipped after a failure", "skipped"), ("Always", "success"),
        ]);
        File.ReadAllText(Path.Combine(repo.Root, "seen.txt")).ShouldBe(
            "level=step secret=shh event=from the event repo=team/personas\n" +
            "level=job plain=one carried=from write tool ran\nline 1\nline 2\nmatched\nalways\n",
            job.Log);
    }

    [Fact]
    public async Task AnExpressionTheHarnessDoesNotKnow_FailsTheTest_InsteadOfReadingAsEmpty()
    {
        using var repo = new TempRepository();
        var file = repo.Write("w.yml", "on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n      - env:\n          X: ${{ vars.UNKNOWN }}\n        run: 'true'\n");
        var run = new WorkflowHarness.RunContext { Workspace = repo.Root, EventName = "push", Event = [], Sha = "0123", GitHub = new FakeGitHub() };

        await Should.ThrowAsync<NotSupportedException>(() => new WorkflowHarness(file).RunJobAsync("one", run));
    }

    [Fact]
    public async Task AnActionTheHarnessDoesNotKnow_FailsTheTest_InsteadOfBeingSkipped()
    {
        using var repo = new TempRepository();
        var file = repo.Write("w.yml", "on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02\n      - uses: someone/deploy@0123456789012345678901234567890123456789\n");
        var run = new WorkflowHarness.RunContext { Workspace = repo.Root, EventName = "push", Event = [], Sha = "0123", GitHub = new FakeGitHub() };

        var error = await Should.ThrowAsync<NotSupportedException>(() => new WorkflowHarness(file).RunJobAsync("one", run));
        error.Message.ShouldContain("someone/deploy@");
    }
}
