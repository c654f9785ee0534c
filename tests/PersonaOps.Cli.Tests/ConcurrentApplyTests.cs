using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// Two applies of the same manifests at once against one account (what happens without a concurrency group):
/// both plan against the same empty account and both create, yet the account ends with one persona per
/// manifest, and each run that lost a race says so and exits 1.
/// </summary>
public sealed class ConcurrentApplyTests
{
    private const int Count = 10;

    [Fact]
    public async Task TwoAppliesAtOnce_LeaveOnePersonaPerManifest_AndTheLoserSaysWhatItFound()
    {
        using var project = new TempProject();
        for (var i = 0; i < Count; i++)
        {
            project.WritePersona($"team-{i}", $"Team {i}", $"You help team {i}.");
        }

        using var store = new PersonaStore(Path.Combine(project.Root, "served.db"));

        // The latency keeps both runs' first listing in flight together, so both plan against the empty account
        // even if one starts up to a second later than the other on a busy machine.
        await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = "k", Faults = new FaultOptions { LatencyMs = 1000 } }), 0);
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "k", ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

        var runs = await Task.WhenAll(
            Task.Run(() => CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve")),
            Task.Run(() => CliRunner.RunAsync(project.Root, env, "apply", "--auto-approve")));

        runs.ShouldAllBe(r => r.Stdout.Contains($"Plan: {Count} to add", StringComparison.Ordinal), "both planned against the empty account");
        var (page, total) = store.List("user", 1000, 0);
        total.ShouldBe(Count, string.Join("\n", runs.Select(r => r.Stdout + r.Stderr)));
        page.Select(p => p.Body["persona_name"]!.GetValue<string>()).Distinct().Count().ShouldBe(Count);

        // Every name was raced; for each, exactly one run reports that it removed its own copy.
        var removals = runs.SelectMany(r => r.Stdout.Split('\n')).Where(l => l.Contains("this run removed its own copy", StringComparison.Ordinal)).ToArray();
        removals.Length.ShouldBe(Count);
        removals.Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).Distinct().Count().ShouldBe(Count);
        foreach (var run in runs.Where(r => r.Stdout.Contains("this run removed its own copy", StringComparison.Ordinal)))
        {
            run.ExitCode.ShouldBe(1);
            run.Stdout.ShouldContain("created by another apply at the same time");
            run.Stderr.ShouldContain("concurrency group");
        }

        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(0, plan.Stdout + plan.Stderr);
    }
}
