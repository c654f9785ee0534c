using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PersonaOps.Cli.Tests.Adversarial;

/// <summary>
/// Secrets under attack: a server that echoes the whole request (headers and body) back in its errors, a
/// secret that straddles the 300-character cut of an error message, secrets whose JSON form is escaped
/// (<c>+</c> and <c>/</c> become <c>\u002B</c> and <c>\/</c>). One sighting of a canary, in any form, fails.
/// </summary>
public sealed class SecretLeakTests
{
    private const string TavusKey = "tvs+CANARY/tavus-key-0001";
    private const string LlmKey = "sk+CANARY/llm-key-0002";
    private const string TenantHeader = "tenant+CANARY/0003";

    private const string Manifest = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: You coach people.
          layers:
            llm:
              model: my-llm
              base_url: https://llm.example.com/v1
              api_key: ${env:COACH_LLM_API_KEY}
              headers:
                X-Tenant: ${env:COACH_TENANT}
        """;

    private static Dictionary<string, string> Environment(Uri server) => new()
    {
        ["TAVUS_API_KEY"] = TavusKey,
        ["TAVUS_API_URL"] = server.ToString(),
        ["COACH_LLM_API_KEY"] = LlmKey,
        ["COACH_TENANT"] = TenantHeader,
    };

    private static void ShouldHoldNoCanary(string what, string text)
    {
        text.ShouldNotContain("CANARY", Case.Sensitive, $"a secret leaked into {what}:\n{text}");
        text.ShouldNotContain("CANARY".ToLowerInvariant(), Case.Sensitive, $"a secret leaked into {what}:\n{text}");
    }

    /// <summary>The whole request, as the server got it, in a JSON error: what a gateway that echoes its input sends.</summary>
    private static string EchoError(string request) =>
        EchoServer.Response(400, JsonSerializer.Serialize(new { error = request }));

    [Fact]
    public async Task ApplyPlanFile_AgainstAServerThatEchoesTheRequestBody_PrintsNoSecretInAnyForm()
    {
        await using var server = new EchoServer(request => request.StartsWith("POST ", StringComparison.Ordinal)
            ? EchoError(request)
            : EchoServer.Response(200, """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);
        var env = Environment(server.BaseAddress);
        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--out", "plan.json");
        plan.ExitCode.ShouldBe(0, plan.Stderr);

        foreach (var output in (string[])["text", "json"])
        {
            var result = await CliRunner.RunAsync(project.Root, env, "apply", "plan.json", "--output", output, "--max-retries", "0", "--verbose");

            result.ExitCode.ShouldBe(1, result.Stderr);
            server.Requests.ShouldContain(r => r.StartsWith("POST ", StringComparison.Ordinal) && r.Contains("CANARY", StringComparison.Ordinal), "the create was sent, with its secrets");
            (result.Stdout + result.Stderr).ShouldContain("answered 400");
            ShouldHoldNoCanary($"apply plan.json --output {output} (stdout)", result.Stdout);
            ShouldHoldNoCanary($"apply plan.json --output {output} (stderr)", result.Stderr);
        }
    }

    /// <summary>
    /// apply PLANFILE reads no manifest: the secrets it sends come from the plan's bindings only. Each is
    /// registered with the redactor before the first write, so a gateway that echoes a PATCH body in a 500,
    /// retried and given up on, shows none of them, nor TAVUS_API_KEY from the headers.
    /// </summary>
    [Fact]
    public async Task ApplyPlanFile_AgainstAServerThatEchoesAPatchInA500_PrintsNoSecretInAnyForm()
    {
        var live = JsonSerializer.Serialize(new
        {
            persona_id = "p0000live002",
            persona_name = "Coach",
            system_prompt = "You coach people.",
            layers = new { llm = new { model = "my-llm", base_url = "https://llm.example.com/v1", api_key = "sk-old-value-0001", headers = new Dictionary<string, string> { ["X-Tenant"] = "tenant-old-0001" } } },
        });
        await using var server = new EchoServer(request => request.StartsWith("PATCH ", StringComparison.Ordinal)
            ? EchoServer.Response(500, JsonSerializer.Serialize(new { error = request, detail = request }))
            : request.StartsWith("GET /v2/personas/p0000live002", StringComparison.Ordinal)
                ? EchoServer.Response(200, live)
                : EchoServer.Response(200, $$"""{"data": [{{live}}], "total_count": 1}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);
        var env = Environment(server.BaseAddress);
        var plan = await CliRunner.RunAsync(project.Root, env, "plan", "--out", "plan.json");
        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain("will be updated in-place");

        // The plan file alone: no manifests in the folder at apply time, so nothing but the plan names the secrets.
        File.Delete(Path.Combine(project.Root, "personas", "coach.yaml"));
        foreach (var output in (string[])["text", "json"])
        {
            var result = await CliRunner.RunAsync(project.Root, env, "apply", "plan.json", "--output", output, "--max-retries", "1", "--verbose");

            result.ExitCode.ShouldBe(1, result.Stderr);
            server.Requests.ShouldContain(r => r.StartsWith("PATCH ", StringComparison.Ordinal) && r.Contains("CANARY", StringComparison.Ordinal), "the PATCH was sent, with its secrets");
            (result.Stdout + result.Stderr).ShouldContain("500");
            (result.Stdout + result.Stderr).ShouldContain("(sensitive value)", customMessage: "the echoed body reached the output, masked");
            ShouldHoldNoCanary($"apply plan.json --output {output} (stdout)", result.Stdout);
            ShouldHoldNoCanary($"apply plan.json --output {output} (stderr)", result.Stderr);
        }
    }

    [Fact]
    public async Task ASecretThatStraddlesTheCutOfAnErrorMessage_ShowsNoPartOfIt()
    {
        foreach (var before in (int[])[280, 290, 295, 299])
        {
            var message = new string('x', before) + TavusKey + " is not a key of this account";
            await using var server = new EchoServer(_ => EchoServer.Response(401, JsonSerializer.Serialize(new { message })));
            using var project = new TempProject();
            project.Write("personas/coach.yaml", Manifest);

            var result = await CliRunner.RunAsync(project.Root, Environment(server.BaseAddress), "plan", "--max-retries", "0");

            result.ExitCode.ShouldBe(1);
            result.Stderr.ShouldContain("answered 401");
            result.Stderr.ShouldNotContain(TavusKey[..4], Case.Sensitive, $"the key's prefix shows when the cut falls {300 - before} characters into it");
            ShouldHoldNoCanary("plan (stderr)", result.Stderr);
        }
    }

    public static TheoryData<string, string, string, string> SecretVariablesInPlainFields() => new()
    {
        { "system_prompt: You coach people.", "system_prompt: ${env:COACH_LLM_API_KEY}", "spec.system_prompt references ${env:COACH_LLM_API_KEY}, but a secret field references it", "(7,18)" },
        { "system_prompt: You coach people.", "system_prompt: \"Your key is ${env:COACH_TENANT}.\"", "spec.system_prompt references ${env:COACH_TENANT}, but a secret field references it", "(7,18)" },
        { "system_prompt: You coach people.", "system_prompt: Hello ${env:TAVUS_API_KEY}", "spec.system_prompt references ${env:TAVUS_API_KEY}, but it holds the Tavus API key", "(7,18)" },
        { "model: my-llm", "model: my-llm\n      extra_body:\n        auth: ${env:COACH_LLM_API_KEY}", "spec.layers.llm.extra_body.auth references ${env:COACH_LLM_API_KEY}", "(12,15)" },
    };

    /// <summary>A secret's variable in a field that is not secret would be stored in clear: refused before any request.</summary>
    [Theory]
    [MemberData(nameof(SecretVariablesInPlainFields))]
    public async Task ASecretsVariableInAFieldThatIsNotSecret_IsRefused_BeforeAnyRequest(string line, string replacement, string message, string position)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, "application/json", """{"data": [], "total_count": 0}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest.Replace(line, replacement, StringComparison.Ordinal));
        project.Write("personas/other.yaml", """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: other
            spec:
              persona_name: Other
              system_prompt: Hi.
              layers:
                llm:
                  model: my-llm
                  api_key: ${env:COACH_LLM_API_KEY}
                  headers:
                    X-Tenant: ${env:COACH_TENANT}
            """);

        foreach (var args in (string[][])[["plan"], ["plan", "--out", "plan.json"], ["apply", "--auto-approve"], ["drift"]])
        {
            var result = await CliRunner.RunAsync(project.Root, Environment(server.BaseAddress), args);

            result.ExitCode.ShouldBe(1, string.Join(' ', args));
            result.Stderr.ShouldContain($"personas/coach.yaml{position}: error PO3014: {message}");
            result.Stderr.ShouldContain("nothing was sent to the API");
            result.Stdout.ShouldBeEmpty();
            ShouldHoldNoCanary(string.Join(' ', args), result.Stderr);
        }

        server.Requests.ShouldBeEmpty();
        File.Exists(Path.Combine(project.Root, "plan.json")).ShouldBeFalse();
    }

    /// <summary>
    /// A live persona that holds a secret's value in a field that is not secret (a key pasted into its prompt):
    /// the plan that replaces it shows it masked, in every channel.
    /// </summary>
    [Fact]
    public async Task ALiveValueHoldingASecret_IsMaskedInEveryChannel()
    {
        var live = JsonSerializer.Serialize(new
        {
            persona_id = "p0000live001",
            persona_name = "Coach",
            system_prompt = $"Old prompt. Use {LlmKey} and {TavusKey} for tenant {TenantHeader}.",
            created_at = "2026-01-01T00:00:00Z",
        });
        await using var server = new EchoServer(request => request.StartsWith("PATCH ", StringComparison.Ordinal)
            ? EchoError(request)
            : request.StartsWith("GET /v2/personas/p0000live001", StringComparison.Ordinal)
                ? EchoServer.Response(200, live)
                : EchoServer.Response(200, $$"""{"data": [{{live}}], "total_count": 1}"""));
        using var project = new TempProject();
        project.Write("personas/coach.yaml", Manifest);
        var env = Environment(server.BaseAddress);
        var outputs = new List<(string What, string Text)>();
        async Task Run(params string[] args)
        {
            var result = await CliRunner.RunAsync(project.Root, env, [.. args, "--verbose"]);
            outputs.Add(($"{string.Join(' ', args)} (stdout)", result.Stdout));
            outputs.Add(($"{string.Join(' ', args)} (stderr)", result.Stderr));
        }

        await Run("plan");
        await Run("plan", "--output", "json", "--out", "plan.json");
        await Run("plan", "--output", "markdown");
        await Run("drift", "--output", "json");
        await Run("show", "plan.json");
        await Run("show", "plan.json", "--output", "json");
        await Run("show", "plan.json", "--output", "markdown");
        await Run("apply", "plan.json", "--output", "json", "--max-retries", "0");
        await Run("apply", "plan.json", "--max-retries", "0");

        var file = File.ReadAllText(Path.Combine(project.Root, "plan.json"));
        outputs.Add(("plan.json", file));
        file.ShouldContain("Old prompt. Use (sensitive value) and (sensitive value) for tenant (sensitive value).");
        outputs.First(o => o.What == "show plan.json (stdout)").Text.ShouldContain("Old prompt. Use (sensitive value)");
        server.Requests.ShouldContain(r => r.StartsWith("PATCH ", StringComparison.Ordinal), "apply sent the planned change");
        foreach (var (what, text) in outputs)
        {
            ShouldHoldNoCanary(what, text);
        }
    }
}

/// <summary>
/// A loopback HTTP/1.1 server that reads each whole request (head and Content-Length body) and answers it
/// with exactly the bytes a function of that request gives: what echoing gateways do.
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, string> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _requests = [];
    private readonly Task _loop;

    public EchoServer(Func<string, string> answer)
    {
        _answer = answer;
        _listener.Start();
        _loop = AcceptAsync();
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Every request received, head and body.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static string Response(int status, string body) =>
        $"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                connections.Add(ServeAsync(await _listener.AcceptTcpClientAsync(_stop.Token)));
            }
        }
        catch (Exception ex) when (_stop.IsCancellationRequested &&
                                   ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping: the pending accept sees either the cancellation or the stopped listener first.
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var received = new List<byte>();
                var buffer = new byte[4096];
                int headEnd;
                while ((headEnd = Encoding.ASCII.GetString([.. received]).IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    received.AddRange(buffer.AsSpan(0, read));
                }

                var head = Encoding.ASCII.GetString([.. received], 0, headEnd);
                var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                while (received.Count < headEnd + 4 + length)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    received.AddRange(buffer.AsSpan(0, read));
                }

                var request = Encoding.UTF8.GetString([.. received]);
                lock (_requests)
                {
                    _requests.Add(request);
                }

                await stream.WriteAsync(Encoding.UTF8.GetBytes(_answer(request)), _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
