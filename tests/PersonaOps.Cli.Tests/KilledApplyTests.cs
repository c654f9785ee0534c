using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests;

/// <summary>
/// kill -9 in the middle of an apply against the embedded sandbox: no chance to clean up, yet the SQLite
/// file passes SQLite's integrity check, every create the run reported is in it, and the next apply
/// converges with nothing created twice.
/// </summary>
public sealed partial class KilledApplyTests
{
    private const int Count = 1000;

    [Fact]
    public async Task KillNineMidApply_LeavesTheSandboxFileIntact_AndTheNextRunConverges()
    {
        using var project = new TempProject();
        for (var i = 0; i < Count; i++)
        {
            project.WritePersona($"p-{i:D4}", $"P {i}", $"You help with {i}.");
        }

        var db = Path.Combine(project.Root, "sandbox.db");
        string stdout;
        using (var apply = CliProcess.Start(project.Root, new Dictionary<string, string>(), "apply", "--auto-approve", "--sandbox", db))
        {
            (await apply.WaitForLinesAsync(": created p", 50, TimeSpan.FromSeconds(90))).ShouldBeTrue("the apply finished before it could be killed");
            await apply.SignalAsync("KILL");
            var result = await apply.WaitAsync();
            result.Stdout.ShouldNotContain("Apply complete!", customMessage: "killed mid-way");
            stdout = result.Stdout;
        }

        using (var connection = new SqliteConnection($"Data Source={db}"))
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check";
            (check.ExecuteScalar() as string).ShouldBe("ok");
        }

        SqliteConnection.ClearAllPools();
        var reported = Created().Matches(stdout).Select(m => m.Groups[1].Value).ToArray();
        using (var store = new PersonaStore(db))
        {
            reported.ShouldAllBe(id => store.Get(id) != null, "every create the run reported before it was killed is stored");
            store.List("user", Count, 0).Total.ShouldBeLessThan(Count);
        }

        var again = await CliRunner.RunAsync(project.Root, "apply", "--auto-approve", "--sandbox", db);
        again.ExitCode.ShouldBe(0, again.Stderr);
        using (var store = new PersonaStore(db))
        {
            var (page, total) = store.List("user", 2 * Count, 0);
            total.ShouldBe(Count);
            page.Select(p => p.Body["persona_name"]!.GetValue<string>()).Distinct().Count().ShouldBe(Count);
        }

        SqliteConnection.ClearAllPools();
    }

    [GeneratedRegex(@": created (p[0-9a-f]+)")]
    private static partial Regex Created();
}
