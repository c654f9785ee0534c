using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// plan, drift and apply against a fake Tavus that would make a careless client hang or grow without
/// bound: a body that never comes or trickles, a Retry-After of a day, a total_count of millions over three
/// personas, pages that ignore <c>page</c>, a body of tens of megabytes; and one mounted under a base path.
/// Each run ends, promptly, in exit 1 with a clear error and no plan (or, under a base path, in a plan).
/// </summary>
public sealed class MisbehavingServerTests
{
    private const string Key = "tvs-CANARY-misbehaving-key";

    /// <summary>Longer than any of these runs may take; a server that would otherwise hang forever is cut here.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static JsonObject Persona(int i) => new() { ["persona_id"] = $"p{i:D11}", ["persona_name"] = $"Persona {i}", ["system_prompt"] = "You help." };

    private static string Page(int from, int count, long total)
    {
        var data = new JsonArray();
        for (var i = from; i < from + count; i++)
        {
            data.Add(Persona(i));
        }

        return RawHttpServer.Response(200, "application/json", new JsonObject { ["data"] = data, ["total_count"] = total }.ToJsonString());
    }

    [Theory]
    [InlineData("headers then nothing")]
    [InlineData("a byte a second")]
    public async Task ABodyThatNeverCompletes_IsBoundedByTimeout(string behaviour)
    {
        await using var server = new RawHttpServer(async (_, stream, token) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n"), token);
            await stream.FlushAsync(token);
            if (behaviour == "headers then nothing")
            {
                await Task.Delay(Timeout.Infinite, token);
            }

            foreach (var b in Encoding.ASCII.GetBytes("{\"data\": [" + new string(' ', 99_000)))
            {
                await stream.WriteAsync(new[] { b }, token);
                await stream.FlushAsync(token);
                await Task.Delay(1000, token);
            }
        });

        var result = await RunAsync(server, "plan", "--timeout", "2", "--max-retries", "0").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldContain("no complete answer within the attempt timeout (2 s, --timeout)");
        result.Stderr.ShouldNotContain("internal error");
        server.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task ABodyCutShortByAClosedConnection_IsRetried_ThenAClearError()
    {
        await using var server = new RawHttpServer(async (_, stream, token) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"data\": ["), token);
            await stream.FlushAsync(token);
        });

        var result = await RunAsync(server, "plan", "--max-retries", "1").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1, result.Stderr);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldContain("GET /v2/personas failed: the connection broke while the answer's body was read", Case.Sensitive, result.Stderr);
        result.Stderr.ShouldNotContain("internal error");
        server.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task ARetryAfterOfADay_IsNotHonoured_TheRunEndsPromptly_NamingIt()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(429, "application/json", """{"message":"Too many requests"}""", "Retry-After: 86400\r\n"));

        var result = await RunAsync(server, "plan", "--max-retries", "1").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldContain("Tavus asked to wait 86400 s before trying again (Retry-After), longer than the 30 s PersonaOps waits at most");
        server.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task ATotalCountOfMillionsOverThreePersonas_IsRefusedAfterOneRequest()
    {
        // What an official-spec mock answers to every page: its three examples and an invented total_count.
        await using var server = new RawHttpServer(_ => Page(1, 3, 3_730_664));
        foreach (var args in new[] { new[] { "plan" }, ["drift"], ["apply", "--auto-approve"] })
        {
            var before = server.Requests.Count;
            var result = await RunAsync(server, args).WaitAsync(Bound);

            result.ExitCode.ShouldBe(1, string.Join(' ', args));
            result.Stdout.ShouldBeEmpty();
            result.Stderr.ShouldContain("total_count is 3730664 but the list ends at page 1 with 3 personas");
            (server.Requests.Count - before).ShouldBe(1, $"{string.Join(' ', args)}: the short first page proves the end");
        }

        server.Requests.ShouldAllBe(r => r.StartsWith("GET ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PagesThatIgnorePage_AreAnError_AfterAFewRequests()
    {
        await using var server = new RawHttpServer(_ => Page(1, 100, 3_730_664));

        var result = await RunAsync(server, "plan").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldContain("ignores 'page'");
        server.Requests.Count.ShouldBeLessThanOrEqualTo(9, "the first page and at most 8 in parallel");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AListingOfTensOfMegabytes_IsRefusedAtTheLimit(bool declared)
    {
        var size = 17 * 1024 * 1024;
        await using var server = new RawHttpServer(async (_, stream, token) =>
        {
            var length = declared ? $"Content-Length: {size.ToString(CultureInfo.InvariantCulture)}\r\n" : "";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n"), token);
            if (declared)
            {
                // The declared length alone is refused: nothing more is needed (nor sent) to fail.
                await Task.Delay(Timeout.Infinite, token);
            }

            var chunk = Encoding.ASCII.GetBytes(new string(' ', 64 * 1024));
            for (var sent = 0; sent < size; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk, token);
            }
        });

        var result = await RunAsync(server, "plan", "--timeout", "60").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldContain("GET /v2/personas answered 200 with a body larger than 16 MiB, the most PersonaOps reads from one answer");
        server.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task MaxResponseSize_SetsTheLimit_BothWays()
    {
        var persona = Persona(1);
        persona["system_prompt"] = new string('x', 2 * 1024 * 1024);
        var page = RawHttpServer.Response(200, "application/json", new JsonObject { ["data"] = new JsonArray(persona), ["total_count"] = 1 }.ToJsonString());
        await using var server = new RawHttpServer(_ => page);

        var refused = await RunAsync(server, "plan", "--max-response-size", "1").WaitAsync(Bound);
        var read = await RunAsync(server, "plan").WaitAsync(Bound);

        refused.ExitCode.ShouldBe(1);
        refused.Stderr.ShouldContain("with a body larger than 1 MiB, the most PersonaOps reads from one answer (--max-response-size)");
        read.ExitCode.ShouldBe(0, read.Stderr);
    }

    [Fact]
    public async Task AValidationErrorUnderDetail_ReachesTheUser_Redacted()
    {
        var body = """{"detail":[{"loc":["body","system_prompt"],"msg":"too long for key KEY"}]}""".Replace("KEY", Key, StringComparison.Ordinal);
        await using var server = new RawHttpServer(request => request.StartsWith("GET ", StringComparison.Ordinal)
            ? Page(1, 0, 0)
            : RawHttpServer.Response(422, "application/json", body));

        var result = await RunAsync(server, "apply", "--auto-approve").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1);
        result.Stdout.ShouldContain("persona.coach: failed: POST /v2/personas answered 422 Unprocessable Entity: system_prompt: too long for key (sensitive value).");
        (result.Stdout + result.Stderr).ShouldNotContain(Key);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("p1?x=1")]
    public async Task ImportOfAnIdThatIsNotAPersonaId_SendsNothing(string id)
    {
        await using var server = new RawHttpServer(_ => Page(1, 1, 1));
        using var project = new TempProject();

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = server.BaseAddress.ToString() }, "import", id, "--out", "imported").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain($"'{id}' is not a persona id");
        server.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("/tavus-staging")]
    [InlineData("/tavus-staging/")]
    public async Task ABasePathInTheApiUrl_IsKeptByEveryRequest(string basePath)
    {
        await using var server = new RawHttpServer(request => request.StartsWith("GET /tavus-staging/v2/personas?", StringComparison.Ordinal)
            ? Page(1, 1, 1)
            : RawHttpServer.Response(404, "application/json", """{"error":"no route"}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest(personaName: "Persona 1", prompt: "You help."));
        var url = new Uri(server.BaseAddress, basePath).ToString();

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = url }, "plan").WaitAsync(Bound);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldContain("No changes");
        result.Stderr.ShouldContain($"using the Tavus API at {url.TrimEnd('/')}");
        server.Requests.ShouldNotBeEmpty();
        server.Requests.ShouldAllBe(r => r.StartsWith("GET /tavus-staging/v2/personas?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnApiUrlThatAddressesNoList_SaysWhereTheRequestWent()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(404, "application/json", """{"error":"Not Found"}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        var url = new Uri(server.BaseAddress, "/v2").ToString();

        var result = await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = url }, "plan").WaitAsync(Bound);

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain($"GET /v2/personas answered 404 Not Found: Not Found. The list of personas always exists, so the API URL is wrong: the request went to {server.BaseAddress}v2/v2/personas. Check TAVUS_API_URL");
        server.Requests.Count.ShouldBe(1);
    }

    private static async Task<CliResult> RunAsync(RawHttpServer server, params string[] args)
    {
        using var project = new TempProject();
        project.Write("personas/coach.yaml", TempProject.Manifest());
        return await CliRunner.RunAsync(project.Root, new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = server.BaseAddress.ToString() }, args);
    }
}
