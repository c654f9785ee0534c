using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Scale;

// The scale suite (bench/scale.sh runs it). For each N and latency: validate, a clean plan, apply of 10%
// changed personas and drift, each a whole `personaops` process against `personaops sandbox serve`
// (wall time, requests the server saw, peak memory), beside the naive refresh a user would otherwise
// get: one GET per persona at parallelism 10. Writes docs/benchmarks/results.{json,md} and chart.svg.
var options = Options.Parse(args);
var rows = new List<Row>();
Console.Error.WriteLine($"scale suite: sizes {string.Join(",", options.Sizes)}, latencies {string.Join(",", options.Latencies)} ms, {options.Runs} runs each");

foreach (var n in options.Sizes)
{
    using var work = new WorkDir();
    Manifests.Write(work.Personas, n, variant: 0);
    var db = Path.Combine(work.Root, "sandbox.db");

    // Setup, not measured: create the N personas with no latency.
    await using (var setup = await Sandbox.StartAsync(options.Binary, db, latencyMs: 0, work.Root))
    {
        var created = await Cli.RunAsync(options.Binary, work.Root, setup, "apply", "--auto-approve", "--parallelism", "16");
        created.Require(0, "setup apply");
    }

    rows.Add(await Measure("validate", n, 0, options.Runs, () => Cli.RunAsync(options.Binary, work.Root, null, "validate")));

    foreach (var latency in options.Latencies)
    {
        await using var sandbox = await Sandbox.StartAsync(options.Binary, db, latency, work.Root);
        rows.Add(await Measure("plan", n, latency, options.Runs, () => Cli.RunAsync(options.Binary, work.Root, sandbox, "plan", "--detailed-exitcode"), sandbox));

        var variant = 0;
        rows.Add(await Measure("apply 10%", n, latency, options.Runs, () =>
        {
            Manifests.Write(work.Personas, n, ++variant + (latency * 100), everyTenth: true);
            return Cli.RunAsync(options.Binary, work.Root, sandbox, "apply", "--auto-approve", "--parallelism", "8");
        }, sandbox));

        rows.Add(await Measure("drift", n, latency, options.Runs, () => Cli.RunAsync(options.Binary, work.Root, sandbox, "drift"), sandbox));
        rows.Add(await Measure("naive refresh", n, latency, options.Runs, () => Naive.RefreshAsync(sandbox, n), sandbox));
    }
}

Report.Write(options, rows);
return 0;

// Every command measured is expected to succeed with exit 0: a clean plan, a converging apply, no drift.
static async Task<Row> Measure(string command, int n, int latency, int runs, Func<Task<RunResult>> run, Sandbox? sandbox = null)
{
    var results = new List<RunResult>();
    for (var i = 0; i < runs; i++)
    {
        var before = sandbox?.Requests ?? 0;
        var result = await run();
        result.Require(0, $"{command} at N={n}");
        if (sandbox is not null)
        {
            result = result with { Requests = await sandbox.SettledRequestsAsync() - before };
        }

        results.Add(result);
    }

    var times = results.Select(r => r.Elapsed.TotalMilliseconds).Order().ToArray();
    var row = new Row(command, n, latency, times[times.Length / 2], times[0], times[^1], results[^1].Requests, results.Max(r => r.PeakBytes) / (1024.0 * 1024.0), runs);
    Console.Error.WriteLine($"  N={n,6} latency={latency,3} ms  {command,-14} median {row.MedianMs,9:F0} ms  requests {row.Requests,6}  peak {row.PeakMb,6:F0} MB");
    return row;
}

namespace PersonaOps.Scale
{
    internal sealed record Options(string Binary, int[] Sizes, int[] Latencies, int Runs, string Out, string Machine)
    {
        public static Options Parse(string[] args)
        {
            string Value(string name, string fallback)
            {
                var i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
            }

            static int[] Ints(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            var binary = Value("--binary", "");
            if (!File.Exists(binary))
            {
                throw new ArgumentException("--binary must name a published personaops executable (bench/scale.sh publishes one)");
            }

            return new Options(binary, Ints(Value("--sizes", "100,1000,10000")), Ints(Value("--latencies", "0,50")), int.Parse(Value("--runs", "3"), CultureInfo.InvariantCulture),
                Value("--out", "docs/benchmarks"), Value("--machine", $"{Environment.ProcessorCount} cores, {Environment.OSVersion}"));
        }
    }

    internal sealed record Row(string Command, int N, int LatencyMs, double MedianMs, double MinMs, double MaxMs, long Requests, double PeakMb, int Runs);

    internal sealed record RunResult(int ExitCode, TimeSpan Elapsed, long PeakBytes, long Requests, string Stderr)
    {
        public void Require(int expected, string what)
        {
            if (ExitCode != expected)
            {
                throw new InvalidOperationException($"{what} exited {ExitCode}, expected {expected}:\n{Stderr}");
            }
        }
    }

    /// <summary>A scratch project folder, removed afterwards.</summary>
    internal sealed class WorkDir : IDisposable
    {
        public WorkDir()
        {
            Root = Path.Combine(Path.GetTempPath(), "personaops-scale-" + Guid.NewGuid().ToString("N")[..8]);
            Personas = Path.Combine(Root, "personas");
            Directory.CreateDirectory(Personas);
        }

        public string Root { get; }

        public string Personas { get; }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    /// <summary>Realistic manifests: a multi-line prompt, a tool, every layer; one in ten on a custom LLM with a secret.</summary>
    internal static class Manifests
    {
        public static void Write(string folder, int n, int variant, bool everyTenth = false)
        {
            for (var i = 0; i < n; i++)
            {
                if (everyTenth && i % 10 != 0)
                {
                    continue;
                }

                var llm = i % 10 == 3
                    ? $"""
                          model: my-llm
                          base_url: https://llm.example.com/v1
                          api_key: ${"{"}env:LLM_KEY{"}"}
                    """
                    : """
                          model: tavus-gpt-oss
                    """;
                File.WriteAllText(Path.Combine(folder, $"persona-{i:D5}.yaml"), $"""
                    apiVersion: personaops/v1
                    kind: Persona
                    metadata:
                      name: persona-{i:D5}
                    spec:
                      persona_name: Persona {i}
                      system_prompt: |
                        You are persona number {i}, a friendly guide for new customers (revision {(everyTenth ? variant : 0)}).
                        Greet them by name, find out what they need, and keep answers short.
                        Never promise refunds; hand billing disputes to a human colleague.
                        If they ask about delivery, look up the order first.
                      pipeline_mode: full
                      default_replica_id: r665388ec672
                      layers:
                        llm:
                    {llm}
                          speculative_inference: true
                          tools:
                            - type: function
                              function:
                                name: lookup_order
                                description: Look up an order by its number.
                                parameters:
                                  type: object
                                  properties:
                                    order_number: {"{"}type: string{"}"}
                                  required: [order_number]
                        tts:
                          tts_engine: cartesia
                        stt:
                          hotwords: Tavus, PersonaOps
                        perception:
                          perception_model: raven-1
                          visual_awareness_queries: [Is the user holding a document?]
                        conversational_flow:
                          turn_taking_patience: high
                    """);
            }
        }
    }

    /// <summary><c>personaops sandbox serve</c> as a child process; counts the request lines it logs.</summary>
    internal sealed class Sandbox : IAsyncDisposable
    {
        private readonly Process _process;
        private long _requests;

        private Sandbox(Process process, Uri url)
        {
            _process = process;
            Url = url;
        }

        public Uri Url { get; }

        public long Requests => Interlocked.Read(ref _requests);

        public static async Task<Sandbox> StartAsync(string binary, string db, int latencyMs, string root)
        {
            var start = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = root,
            };
            foreach (var arg in new[] { "sandbox", "serve", "--port", "0", "--db", db, "--api-key", "bench", "--latency-ms", latencyMs.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            var url = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("sandbox serve printed no URL: " + await process.StandardError.ReadToEndAsync());
            var sandbox = new Sandbox(process, new Uri(url.Trim()));
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data?.Contains(" /v2/", StringComparison.Ordinal) == true)
                {
                    Interlocked.Increment(ref sandbox._requests);
                }
            };
            process.BeginErrorReadLine();
            return sandbox;
        }

        /// <summary>The request count once the log has stopped growing (lines arrive just after the responses).</summary>
        public async Task<long> SettledRequestsAsync()
        {
            var last = -1L;
            while (Requests != last)
            {
                last = Requests;
                await Task.Delay(150);
            }

            return last;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }

    /// <summary>One whole personaops process: wall time and peak resident memory (VmHWM, polled from /proc).</summary>
    internal static class Cli
    {
        public static async Task<RunResult> RunAsync(string binary, string root, Sandbox? sandbox, params string[] args)
        {
            var start = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = root,
            };
            start.Environment.Remove("CI");
            start.Environment["LLM_KEY"] = "sk-bench";
            if (sandbox is not null)
            {
                start.Environment["TAVUS_API_KEY"] = "bench";
                start.Environment["TAVUS_API_URL"] = sandbox.Url.ToString();
            }
            else
            {
                start.Environment.Remove("TAVUS_API_KEY");
            }

            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            long peak = 0;
            var status = $"/proc/{process.Id}/status";
            while (!process.HasExited)
            {
                peak = Math.Max(peak, ReadHighWaterMark(status));
                await Task.Delay(5);
            }

            await process.WaitForExitAsync();
            clock.Stop();
            await stdout;
            return new RunResult(process.ExitCode, clock.Elapsed, peak, 0, await stderr);
        }

        private static long ReadHighWaterMark(string status)
        {
            try
            {
                foreach (var line in File.ReadLines(status))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            return 0;
        }
    }

    /// <summary>
    /// The baseline: what a reconciler that refreshes each resource on its own does (Terraform's refresh at
    /// its default parallelism of 10): list the ids, then one GET per persona.
    /// </summary>
    internal static class Naive
    {
        public static async Task<RunResult> RefreshAsync(Sandbox sandbox, int expected)
        {
            using var http = new HttpClient { BaseAddress = sandbox.Url };
            http.DefaultRequestHeaders.Add("x-api-key", "bench");
            var clock = Stopwatch.StartNew();
            var ids = new List<string>();
            for (var page = 1; ; page++)
            {
                var body = await http.GetFromJsonAsync<JsonObject>($"/v2/personas?persona_type=user&limit=100&page={page}");
                var data = body!["data"]!.AsArray();
                ids.AddRange(data.Select(p => p!["persona_id"]!.GetValue<string>()));
                if (data.Count == 0 || ids.Count >= body["total_count"]!.GetValue<int>())
                {
                    break;
                }
            }

            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (id, token) =>
            {
                using var response = await http.GetAsync(new Uri($"/v2/personas/{id}", UriKind.Relative), token);
                response.EnsureSuccessStatusCode();
                _ = await response.Content.ReadAsByteArrayAsync(token);
            });
            clock.Stop();
            return new RunResult(ids.Count == expected ? 0 : 1, clock.Elapsed, 0, 0, $"saw {ids.Count} of {expected}");
        }
    }

    internal static class Report
    {
        public static void Write(Options options, IReadOnlyList<Row> rows)
        {
            Directory.CreateDirectory(options.Out);
            var json = new JsonObject
            {
                ["machine"] = options.Machine,
                ["runs"] = options.Runs,
                ["rows"] = JsonSerializer.SerializeToNode(rows, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }),
            };
            File.WriteAllText(Path.Combine(options.Out, "results.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

            var md = new StringBuilder();
            md.AppendLine("# PersonaOps scale suite").AppendLine();
            md.AppendLine($"Machine: {options.Machine}. Median of {options.Runs} runs; each PersonaOps figure is a whole `personaops` process (start-up included) against `personaops sandbox serve` with the latency shown added to every request. The naive refresh lists the ids, then sends one GET per persona at parallelism 10. Rerun with `bench/scale.sh`.").AppendLine();
            md.AppendLine("| N | latency | command | median | min | max | requests | peak memory |");
            md.AppendLine("|---:|---:|---|---:|---:|---:|---:|---:|");
            foreach (var r in rows)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {r.N:N0} | {r.LatencyMs} ms | {r.Command} | {Seconds(r.MedianMs)} | {Seconds(r.MinMs)} | {Seconds(r.MaxMs)} | {(r.Command == "validate" ? "0" : r.Requests.ToString("N0", CultureInfo.InvariantCulture))} | {(r.PeakMb > 0 ? $"{r.PeakMb:F0} MB" : "n/a")} |");
            }

            md.AppendLine().AppendLine("## PersonaOps plan beside the naive refresh").AppendLine();
            md.AppendLine("| N | latency | plan | naive refresh | naive / plan |").AppendLine("|---:|---:|---:|---:|---:|");
            foreach (var plan in rows.Where(r => r.Command == "plan"))
            {
                var naive = rows.Single(r => r.Command == "naive refresh" && r.N == plan.N && r.LatencyMs == plan.LatencyMs);
                md.AppendLine(CultureInfo.InvariantCulture, $"| {plan.N:N0} | {plan.LatencyMs} ms | {Seconds(plan.MedianMs)} ({plan.Requests:N0} requests) | {Seconds(naive.MedianMs)} ({naive.Requests:N0} requests) | {naive.MedianMs / plan.MedianMs:F1}x |");
            }

            File.WriteAllText(Path.Combine(options.Out, "results.md"), md.ToString());
            File.WriteAllText(Path.Combine(options.Out, "chart.svg"), Chart.Render(rows));
            Console.Error.WriteLine($"wrote {options.Out}/results.json, results.md and chart.svg");
        }

        private static string Seconds(double ms) => ms >= 1000 ? $"{ms / 1000:F2} s" : $"{ms:F0} ms";
    }
}
