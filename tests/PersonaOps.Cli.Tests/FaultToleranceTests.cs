using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// apply against a served sandbox that fails on purpose (seeded, so every run sees the same faults):
/// 500s, 429s with Retry-After, and writes committed whose answer is then dropped. One run converges,
/// nothing is created twice, nothing is missing, and a fault-free plan afterwards is clean.
/// </summary>
public sealed class FaultToleranceTests
{
    private const string Canary = "sk-CANARY-faults";

    private static string Persona(int i, string prompt, bool withContext) => $"""
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: bulk-{i:D3}
        spec:
          persona_name: Bulk persona {i}
          system_prompt: |
            {prompt} {i}.
            Keep it short.
        {(withContext ? "  context: Context to be removed later." : "")}
          layers:
            llm:
              model: my-llm
              base_url: https://llm.example.com/v1
              api_key: ${"{"}env:LLM_KEY{"}"}
        """;

    private static readonly FaultOptions Faults = new() { ErrorRate = 0.15, RateLimitRate = 0.10, RetryAfterSeconds = 1, DropAfterCommitRate = 0.05, Seed = 7 };

    [Fact]
    public async Task ApplyUnderFaults_Converges_WithNoDuplicateAndNothingMissing()
    {
        const int count = 200;
        using var project = new TempProject();
        for (var i = 0; i < count; i++)
        {
            project.Write($"personas/bulk-{i:D3}.yaml", Persona(i, "You help with task", withContext: true));
        }

        var db = Path.Combine(project.Root, "served.db");
        var first = await RunAgainst(db, Faults, project, "apply", "--auto-approve");
        first.ExitCode.ShouldBe(0, first.Stdout + first.Stderr);
        first.Stdout.ShouldContain($"Apply complete! Personas: {count} added, 0 changed, 0 deleted.");
        AssertOnePersonaPerManifest(db, count);

        // Edits that replace one field and remove another: a dropped PATCH's retry then finds nothing to
        // remove, and must be confirmed by reading back rather than reported as failed.
        for (var i = 0; i < count; i += 2)
        {
            project.Write($"personas/bulk-{i:D3}.yaml", Persona(i, "You now help with errand", withContext: false));
        }

        var second = await RunAgainst(db, Faults with { Seed = 11 }, project, "apply", "--auto-approve");
        second.ExitCode.ShouldBe(0, second.Stdout + second.Stderr);
        second.Stdout.ShouldContain($"Apply complete! Personas: 0 added, {count / 2} changed, 0 deleted.");
        AssertOnePersonaPerManifest(db, count);

        var clean = await RunAgainst(db, FaultOptions.None, project, "plan", "--detailed-exitcode");
        clean.ExitCode.ShouldBe(0, clean.Stdout);
        clean.Stdout.ShouldContain("No changes.");
        foreach (var output in new[] { first, second, clean })
        {
            (output.Stdout + output.Stderr).ShouldNotContain(Canary);
        }
    }

    [Fact]
    public async Task ARunThatExhaustsItsRetries_SaysPreciselyWhatFailed_AndTheNextRunFinishesWithoutDuplicates()
    {
        const int count = 60;
        using var project = new TempProject();
        for (var i = 0; i < count; i++)
        {
            project.Write($"personas/bulk-{i:D3}.yaml", Persona(i, "You help with task", withContext: false));
        }

        var db = Path.Combine(project.Root, "served.db");
        var harsh = new FaultOptions { ErrorRate = 0.5, DropAfterCommitRate = 0.2, Seed = 3 };
        var first = await RunAgainst(db, harsh, project, "apply", "--auto-approve", "--max-retries", "1");

        first.ExitCode.ShouldBe(1, first.Stdout + first.Stderr);
        var failures = first.Stdout.Split('\n').Where(l => l.Contains(": failed: ", StringComparison.Ordinal)).ToArray();
        var summary = System.Text.RegularExpressions.Regex.Match(first.Stdout, @"Apply incomplete\. Personas: (\d+) added, 0 changed, 0 deleted, (\d+) failed, 0 not attempted\.");
        summary.Success.ShouldBeTrue(first.Stdout);
        int.Parse(summary.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(failures.Length);
        failures.Length.ShouldBeGreaterThan(0, "the budget of one retry cannot absorb these faults");
        failures.ShouldAllBe(l => l.StartsWith("persona.bulk-", StringComparison.Ordinal), "each failure names its manifest");
        first.Stderr.ShouldContain("run apply again");

        var second = await RunAgainst(db, FaultOptions.None, project, "apply", "--auto-approve");
        second.ExitCode.ShouldBe(0, second.Stdout + second.Stderr);
        AssertOnePersonaPerManifest(db, count);
        var clean = await RunAgainst(db, FaultOptions.None, project, "plan", "--detailed-exitcode");
        clean.ExitCode.ShouldBe(0, clean.Stdout);
    }

    private static void AssertOnePersonaPerManifest(string db, int count)
    {
        using var store = new PersonaStore(db);
        var (page, total) = store.List("user", 1000, 0);
        total.ShouldBe(count, "no duplicate, nothing missing");
        page.Select(p => p.Body["persona_name"]!.GetValue<string>()).Distinct().Count().ShouldBe(count);
    }

    private static async Task<CliResult> RunAgainst(string db, FaultOptions faults, TempProject project, params string[] args)
    {
        using var store = new PersonaStore(db);
        await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = "fault-key", Faults = faults }), 0);
        var env = new Dictionary<string, string>
        {
            ["TAVUS_API_KEY"] = "fault-key",
            ["TAVUS_API_URL"] = server.BaseAddress.ToString(),
            ["LLM_KEY"] = Canary,
        };
        return await CliRunner.RunAsync(project.Root, env, args);
    }
}
