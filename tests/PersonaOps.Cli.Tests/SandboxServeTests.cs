using System.Net;
using System.Text;

namespace PersonaOps.Cli.Tests;

/// <summary>`personaops sandbox serve` as a real process: it listens on loopback, persists, logs each request and stops on SIGTERM.</summary>
public sealed class SandboxServeTests
{
    [Fact]
    public async Task Serve_ListensOnLoopback_Persists_AndStopsCleanlyOnSigterm()
    {
        using var project = new TempProject();
        string? id;
        using (var first = CliProcess.Start(project.Root, new Dictionary<string, string>(), "sandbox", "serve", "--port", "0"))
        {
            var url = await FirstLineAsync(first);
            url.ShouldStartWith("http://127.0.0.1:");
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            client.DefaultRequestHeaders.Add("x-api-key", "sandbox");
            var created = await client.PostAsync("/v2/personas", new StringContent("""{"persona_name":"Kept","system_prompt":"x"}""", Encoding.UTF8, "application/json"));
            created.StatusCode.ShouldBe(HttpStatusCode.OK);
            id = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["persona_id"]!.GetValue<string>();

            await first.SignalAsync("TERM");
            var stopped = await first.WaitAsync();
            stopped.ExitCode.ShouldBe(0);
            stopped.Stderr.ShouldContain("API key: sandbox");
            stopped.Stderr.ShouldContain("POST /v2/personas -> 200");
            stopped.Stderr.ShouldContain("sandbox stopped.");
        }

        File.Exists(Path.Combine(project.Root, ".personaops", "sandbox.db")).ShouldBeTrue();

        using var second = CliProcess.Start(project.Root, new Dictionary<string, string>(), "sandbox", "serve", "--port", "0", "--api-key", "k2");
        var again = await FirstLineAsync(second);
        using (var client = new HttpClient { BaseAddress = new Uri(again) })
        {
            client.DefaultRequestHeaders.Add("x-api-key", "k2");
            (await client.GetStringAsync($"/v2/personas/{id}")).ShouldContain("\"Kept\"");
        }

        await second.SignalAsync("TERM");
        (await second.WaitAsync()).Stderr.ShouldNotContain("k2");
    }

    /// <summary>The address serve prints on its first line of stdout.</summary>
    private static async Task<string> FirstLineAsync(CliProcess serve)
    {
        (await serve.WaitForLinesAsync("http://", 1, TimeSpan.FromSeconds(30))).ShouldBeTrue("serve printed its address");
        return serve.Stdout.Split('\n')[0];
    }

    [Fact]
    public async Task Serve_RefusesRatesOutsideZeroToOne()
    {
        using var project = new TempProject();
        var result = await CliRunner.RunAsync(project.Root, "sandbox", "serve", "--fault-rate", "1.5");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("--fault-rate must be between 0 and 1.");
    }
}
