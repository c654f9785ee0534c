using System.Diagnostics;
using System.Net;
using System.Text;

namespace PersonaOps.Cli.Tests;

/// <summary>`personaops sandbox serve` as a real process: it listens on loopback, persists, logs each request and stops on SIGTERM.</summary>
public sealed class SandboxServeTests
{
    private static Process Start(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "personaops.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("TAVUS_API_KEY");
        return Process.Start(info)!;
    }

    private static async Task<int> TerminateAsync(Process process)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    [Fact]
    public async Task Serve_ListensOnLoopback_Persists_AndStopsCleanlyOnSigterm()
    {
        using var project = new TempProject();
        string? id;
        using (var first = Start(project.Root, "sandbox", "serve", "--port", "0"))
        {
            var url = await first.StandardOutput.ReadLineAsync();
            url.ShouldNotBeNull();
            url.ShouldStartWith("http://127.0.0.1:");
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            client.DefaultRequestHeaders.Add("x-api-key", "sandbox");
            var created = await client.PostAsync("/v2/personas", new StringContent("""{"persona_name":"Kept","system_prompt":"x"}""", Encoding.UTF8, "application/json"));
            created.StatusCode.ShouldBe(HttpStatusCode.OK);
            id = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["persona_id"]!.GetValue<string>();

            (await TerminateAsync(first)).ShouldBe(0);
            var stderr = await first.StandardError.ReadToEndAsync();
            stderr.ShouldContain("API key: sandbox");
            stderr.ShouldContain("POST /v2/personas -> 200");
            stderr.ShouldContain("sandbox stopped.");
        }

        File.Exists(Path.Combine(project.Root, ".personaops", "sandbox.db")).ShouldBeTrue();

        using var second = Start(project.Root, "sandbox", "serve", "--port", "0", "--api-key", "k2");
        var again = await second.StandardOutput.ReadLineAsync();
        using (var client = new HttpClient { BaseAddress = new Uri(again!) })
        {
            client.DefaultRequestHeaders.Add("x-api-key", "k2");
            (await client.GetStringAsync($"/v2/personas/{id}")).ShouldContain("\"Kept\"");
        }

        await TerminateAsync(second);
        (await second.StandardError.ReadToEndAsync()).ShouldNotContain("k2");
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
