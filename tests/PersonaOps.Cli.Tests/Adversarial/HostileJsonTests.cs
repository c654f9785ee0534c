using System.Text;

namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// JSON that parses but that no honest answer holds: an object with one key twice, and text that is not
/// Unicode (an escaped lone surrogate, half of a character; bytes that are not UTF-8). Whether it comes
/// from a lying server's listing or error body, or from an edited plan file, PersonaOps says what and
/// where in one line and exits as for any bad answer or bad plan: never an internal error.
/// </summary>
public sealed class HostileJsonTests
{
    private const string Key = "tvs-CANARY-hostile-json";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static Dictionary<string, string> Env(RawHttpServer server) => new() { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = server.BaseAddress.ToString() };

    /// <summary>A listing of one persona whose JSON text is <paramref name="persona"/>, as raw bytes.</summary>
    private static byte[] Listing(string persona) => Encoding.UTF8.GetBytes($$"""{"data": [{{persona}}], "total_count": 1}""");

    private static RawHttpServer Serving(byte[] body) => new(async (_, stream, token) =>
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), token);
        await stream.WriteAsync(body, token);
    });

    public static TheoryData<string, byte[], string> Answers => new()
    {
        { "a key twice", Listing("""{"persona_id": "p1", "persona_name": "Coach", "system_prompt": "a", "system_prompt": "b"}"""), "holds the key 'system_prompt' twice in one object (at data[0])" },
        { "a nested key twice", Listing("""{"persona_id": "p1", "persona_name": "Coach", "layers": {"llm": {"model": "a", "model": "b"}}}"""), "holds the key 'model' twice in one object (at data[0].layers.llm)" },
        { "a lone surrogate", Listing("""{"persona_id": "p1", "persona_name": "Coach", "system_prompt": "half \ud800 a character"}"""), "text that is not valid Unicode at data[0].system_prompt" },
        { "a lone surrogate in a key", Listing("""{"persona_id": "p1", "persona_name": "Coach", "layers": {"llm": {"extra_body": {"k\udc00": 1}}}}"""), "text that is not valid Unicode at data[0].layers.llm.extra_body" },
        { "bytes that are not UTF-8", [.. Listing("""{"persona_id": "p1", "persona_name": "Coach", "system_prompt": "X"}""").SelectMany(b => b == (byte)'X' ? new byte[] { 0xC3, 0x28 } : [b])], "text that is not valid Unicode at data[0].system_prompt" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task AListingHoldingIt_IsAClearError_ForPlanDriftApplyAndImport(string what, byte[] body, string expected)
    {
        await using var server = Serving(body);
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        foreach (var args in new[] { new[] { "plan" }, ["drift"], ["apply", "--auto-approve"], ["import", "--all", "--out", "imported"] })
        {
            var result = await CliRunner.RunAsync(project.Root, Env(server), [.. args, "--max-retries", "0"]).WaitAsync(Bound);

            result.ExitCode.ShouldBe(1, $"{what}, {args[0]}: {result.Stderr}");
            result.Stderr.ShouldNotContain("internal error", Case.Sensitive, $"{what}, {args[0]}");
            result.Stderr.ShouldContain(expected, Case.Sensitive, $"{what}, {args[0]}");
            result.Stdout.ShouldBeEmpty($"{what}, {args[0]}");
        }

        Directory.Exists(Path.Combine(project.Root, "imported")).ShouldBeFalse();
        server.Requests.ShouldAllBe(r => r.StartsWith("GET ", StringComparison.Ordinal), "nothing is changed on the strength of such an answer");
    }

    [Theory]
    [InlineData("""{"message": "a", "message": "b"}""")]
    [InlineData("""{"message": "half \ud800 a character"}""")]
    [InlineData("""{"error": {"message": "x", "message": "y"}}""")]
    public async Task AnErrorBodyHoldingIt_GivesTheStatus_WithoutItsReason(string body)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(400, "application/json", body));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());

        var result = await CliRunner.RunAsync(project.Root, Env(server), "plan", "--max-retries", "0").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stderr.ShouldNotContain("internal error");
        result.Stderr.ShouldContain("GET /v2/personas answered 400 Bad Request.");
    }

    [Theory]
    [InlineData("a key twice")]
    [InlineData("a lone surrogate")]
    public async Task APlanFileHoldingIt_IsRefused_Exit3ForApply_Exit1ForShow(string what)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var made = await CliRunner.RunAsync(project.Root, "plan", "--sandbox", "s.db", "--out", "plan.json");
        made.ExitCode.ShouldBe(0, made.Stderr);
        var path = Path.Combine(project.Root, "plan.json");
        var text = File.ReadAllText(path);
        File.WriteAllText(path, what == "a key twice"
            ? text.Replace("\"tool\": \"personaops\",", "\"tool\": \"personaops\",\n  \"tool\": \"personaops\",", StringComparison.Ordinal)
            : text.Replace("\"You coach people.\"", "\"You coach \\ud800 people.\"", StringComparison.Ordinal));
        File.ReadAllText(path).ShouldNotBe(text);

        var show = await CliRunner.RunAsync(project.Root, "show", "plan.json");
        var apply = await CliRunner.RunAsync(project.Root, "apply", "plan.json", "--sandbox", "s.db");

        show.ExitCode.ShouldBe(1, show.Stderr);
        apply.ExitCode.ShouldBe(3, apply.Stderr);
        foreach (var result in new[] { show, apply })
        {
            result.Stderr.ShouldNotContain("internal error");
            result.Stdout.ShouldBeEmpty();
            result.Stderr.ShouldContain(what == "a key twice" ? "holds the key 'tool' twice" : "not valid Unicode");
        }
    }
}
