using System.Text.Json.Nodes;

namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// A saved plan is for an account, not only for a URL: one made with a staging key, applied with a
/// production key at the same URL (one gateway for both, say), is refused before any request, exit 3,
/// naming "another account". The plan records the account as a keyed identity, never the key.
/// </summary>
public sealed class SavedPlanAccountTests
{
    private const string StagingKey = "tvs-STAGING-key-0001";
    private const string ProductionKey = "tvs-PRODUCTION-key-0002";

    private static Dictionary<string, string> Env(Uri server, string key) => new() { ["TAVUS_API_KEY"] = key, ["TAVUS_API_URL"] = server.ToString() };

    [Fact]
    public async Task APlanMadeWithOneKey_IsRefusedUnderAnotherAtTheSameUrl_BeforeAnyRequest()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var plan = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress, StagingKey), "plan", "--out", "plan.json");
        plan.ExitCode.ShouldBe(0, plan.Stderr);
        var file = File.ReadAllText(Path.Combine(project.Root, "plan.json"));
        file.ShouldNotContain("STAGING");
        JsonNode.Parse(file)!["account"]!.GetValue<string>().ShouldStartWith("hmac-sha256:");
        var before = server.Requests.Count;

        var result = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress, ProductionKey), "apply", "plan.json");

        result.ExitCode.ShouldBe(3, result.Stderr);
        result.Stderr.ShouldContain("was made for another account");
        result.Stderr.ShouldNotContain("PRODUCTION");
        result.Stderr.ShouldNotContain("STAGING");
        result.Stdout.ShouldBeEmpty();
        server.Requests.Count.ShouldBe(before, "nothing may be sent for a plan of another account");

        // Under the key it was made with, the same file applies (the create is sent).
        var applied = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress, StagingKey), "apply", "plan.json", "--max-retries", "0");
        server.Requests.ShouldContain(r => r.StartsWith("POST ", StringComparison.Ordinal), applied.Stderr);
    }

    [Fact]
    public async Task AnEditedAccount_RefusesThePlanFile()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        (await CliRunner.RunAsync(project.Root, Env(server.BaseAddress, StagingKey), "plan", "--out", "staging.json")).ExitCode.ShouldBe(0);
        (await CliRunner.RunAsync(project.Root, Env(server.BaseAddress, ProductionKey), "plan", "--out", "production.json")).ExitCode.ShouldBe(0);
        var staging = JsonNode.Parse(File.ReadAllText(Path.Combine(project.Root, "staging.json")))!.AsObject();
        var production = JsonNode.Parse(File.ReadAllText(Path.Combine(project.Root, "production.json")))!;
        staging["account"]!.GetValue<string>().ShouldNotBe(production["account"]!.GetValue<string>());

        // The staging plan, relabelled as production's: its fingerprint no longer matches.
        staging["account"] = production["account"]!.GetValue<string>();
        project.Write("relabelled.json", staging.ToJsonString());
        var before = server.Requests.Count;

        var result = await CliRunner.RunAsync(project.Root, Env(server.BaseAddress, ProductionKey), "apply", "relabelled.json");

        result.ExitCode.ShouldNotBe(0);
        result.Stderr.ShouldContain("modified after it was written");
        server.Requests.Count.ShouldBe(before);
    }

    [Fact]
    public async Task ASandboxPlan_IsRefusedByAnotherSandboxFileAtTheSamePath()
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        (await CliRunner.RunAsync(project.Root, "plan", "--sandbox", "s.db", "--out", "plan.json")).ExitCode.ShouldBe(0);

        // The file made again (as a new process would see it: the in-process pool would keep the old one open).
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(project.Root, "s.db*"))
        {
            File.Delete(file);
        }

        var result = await CliRunner.RunAsync(project.Root, "apply", "plan.json", "--sandbox", "s.db");

        result.ExitCode.ShouldBe(3, result.Stderr);
        result.Stderr.ShouldContain("was made for another account");
        var plan = await CliRunner.RunAsync(project.Root, "plan", "--sandbox", "s.db", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(2, "nothing was created in the new sandbox");

        // A plan made against this sandbox file applies to it.
        (await CliRunner.RunAsync(project.Root, "plan", "--sandbox", "s.db", "--out", "plan.json")).ExitCode.ShouldBe(0);
        var applied = await CliRunner.RunAsync(project.Root, "apply", "plan.json", "--sandbox", "s.db");
        applied.ExitCode.ShouldBe(0, applied.Stderr);
    }
}
