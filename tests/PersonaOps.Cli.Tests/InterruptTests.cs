using System.Text.RegularExpressions;
using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// Ctrl+C and SIGTERM during a real apply process against a slow served sandbox: nothing new starts, requests
/// in flight finish (or are abandoned on a second interrupt), the summary says what was and was not applied,
/// the exit code is 1, and the next run converges with nothing created twice.
/// </summary>
public sealed partial class InterruptTests
{
    private const int Count = 30;
    private const string Key = "interrupt-key";

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task OneInterrupt_LetsRequestsInFlightFinish_SaysWhatWasDone_AndTheNextRunConverges(string signal)
    {
        using var project = Project();
        var db = Path.Combine(project.Root, "served.db");
        CliResult interrupted;
        using (var store = new PersonaStore(db))
        {
            await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = Key, Faults = new FaultOptions { LatencyMs = 300 } }), 0);
            using var apply = CliProcess.Start(project.Root, Environment(server.BaseAddress), "apply", "--auto-approve", "--parallelism", "2");
            (await apply.WaitForLinesAsync(": created ", 4, TimeSpan.FromSeconds(60))).ShouldBeTrue("the apply was still running when interrupted");
            await apply.SignalAsync(signal);
            interrupted = await apply.WaitAsync();

            interrupted.ExitCode.ShouldBe(1, interrupted.Stderr);
            interrupted.Stderr.ShouldContain("interrupt received");
            var summary = Summary().Match(interrupted.Stdout);
            summary.Success.ShouldBeTrue(interrupted.Stdout);
            var added = int.Parse(summary.Groups["added"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var notAttempted = int.Parse(summary.Groups["skipped"].Value, System.Globalization.CultureInfo.InvariantCulture);
            summary.Groups["failed"].Value.ShouldBe("0");
            (added + notAttempted).ShouldBe(Count, "every change is either applied or listed as not attempted");
            notAttempted.ShouldBeGreaterThan(0);
            interrupted.Stdout.Split('\n').Count(l => l.StartsWith("  not attempted: persona.bulk-", StringComparison.Ordinal)).ShouldBe(notAttempted);
            store.List("user", 1000, 0).Total.ShouldBe(added, "what the summary says was added is exactly what the account holds: the requests in flight finished");
        }

        await ConvergesAsync(project, db);
        interrupted.Stderr.ShouldNotContain("Unhandled");
    }

    [Fact]
    public async Task ASecondInterrupt_AbandonsRequestsInFlight_AndTheNextRunConvergesWithoutDuplicates()
    {
        using var project = Project();
        var db = Path.Combine(project.Root, "served.db");
        using (var store = new PersonaStore(db))
        {
            // Slow enough that the requests in flight cannot finish between the two interrupts.
            await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = Key, Faults = new FaultOptions { LatencyMs = 2500 } }), 0);
            using var apply = CliProcess.Start(project.Root, Environment(server.BaseAddress), "apply", "--auto-approve", "--parallelism", "4");
            (await apply.WaitForLinesAsync(": created ", 4, TimeSpan.FromSeconds(60))).ShouldBeTrue();
            await apply.SignalAsync("INT");
            await Task.Delay(300);
            await apply.SignalAsync("INT");
            var result = await apply.WaitAsync();

            result.ExitCode.ShouldBe(1);
            result.Stderr.ShouldContain("abandoning the requests in flight");
            result.Stdout.ShouldContain("abandoned after an interrupt; whether Tavus applied it is unknown");
            Summary().Match(result.Stdout).Groups["abandoned"].Value.ShouldNotBeEmpty(result.Stdout);
        }

        await ConvergesAsync(project, db);
    }

    private static async Task ConvergesAsync(TempProject project, string db)
    {
        using var store = new PersonaStore(db);
        await using var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = Key }), 0);
        var again = await CliRunner.RunAsync(project.Root, Environment(server.BaseAddress), "apply", "--auto-approve");
        again.ExitCode.ShouldBe(0, again.Stdout + again.Stderr);
        var (page, total) = store.List("user", 1000, 0);
        total.ShouldBe(Count, "nothing missing, nothing twice");
        page.Select(p => p.Body["persona_name"]!.GetValue<string>()).Distinct().Count().ShouldBe(Count);
    }

    private static TempProject Project()
    {
        var project = new TempProject();
        for (var i = 0; i < Count; i++)
        {
            project.WritePersona($"bulk-{i:D2}", $"Bulk {i}", $"You help with task {i}.");
        }

        return project;
    }

    private static Dictionary<string, string> Environment(Uri url) => new() { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = url.ToString() };

    [GeneratedRegex(@"Apply interrupted\. Personas: (?<added>\d+) added, 0 changed, 0 deleted, (?<failed>\d+) failed, (?:(?<abandoned>\d+) abandoned, )?(?<skipped>\d+) not attempted\.")]
    private static partial Regex Summary();
}
