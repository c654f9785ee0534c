using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace PersonaOps.Cli.Tests;

/// <summary>`sandbox serve --pal-names`: a served account that answers in Tavus's PAL-era names, which plan reads as the same personas.</summary>
public sealed class SandboxPalNamesServeTests
{
    [Fact]
    public async Task ServeWithPalNames_AnswersPalEraNames_AndPlanManagesThePersona()
    {
        using var project = new TempProject();
        using var serve = CliProcess.Start(project.Root, new Dictionary<string, string>(), "sandbox", "serve", "--port", "0", "--pal-names", "all", "--db", "served.db");
        (await serve.WaitForLinesAsync("http://", 1, TimeSpan.FromSeconds(30))).ShouldBeTrue("serve printed its address");
        var url = serve.Stdout.Split('\n')[0].Trim();
        using (var client = new HttpClient { BaseAddress = new Uri(url) })
        {
            client.DefaultRequestHeaders.Add("x-api-key", "sandbox");
            var created = await client.PostAsync("/v2/personas", new StringContent("""{"persona_name":"Coach","system_prompt":"You coach people."}""", Encoding.UTF8, "application/json"));
            created.StatusCode.ShouldBe(HttpStatusCode.OK);
            var answer = JsonNode.Parse(await created.Content.ReadAsStringAsync())!.AsObject();
            answer.ContainsKey("pal_id").ShouldBeTrue(answer.ToJsonString());
            answer.ContainsKey("persona_id").ShouldBeFalse();
        }

        project.Write("personas/coach.yaml", TempProject.Manifest());
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = "sandbox", ["TAVUS_API_URL"] = url };
        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--detailed-exitcode");
        plan.ExitCode.ShouldBe(0, plan.Stdout + plan.Stderr);
        plan.Stdout.ShouldContain("No changes.");

        await serve.SignalAsync("TERM");
        (await serve.WaitAsync()).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task AnUnknownPalNamesValue_IsRefused()
    {
        using var project = new TempProject();
        var result = await CliRunner.RunAsync(project.Root, "sandbox", "serve", "--pal-names", "sometimes");
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("sometimes");
    }
}
