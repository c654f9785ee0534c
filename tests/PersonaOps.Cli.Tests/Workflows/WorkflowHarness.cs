using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace PersonaOps.Cli.Tests.Workflows;

/// <summary>What happened to one step of a job run by the harness.</summary>
public sealed record StepRun(string Name, string Outcome, string Output);

/// <summary>A job run by the harness: its steps in order, the actions it skipped, and whether it succeeded.</summary>
public sealed record JobRun(bool Ran, bool Succeeded, IReadOnlyList<StepRun> Steps)
{
    /// <summary>What the steps wrote to GITHUB_STEP_SUMMARY, the run's summary page.</summary>
    public string Summary { get; init; } = "";

    /// <summary>The job's <c>outputs:</c>, evaluated once its steps ran: what <c>needs.JOB.outputs</c> gives a later job.</summary>
    public IReadOnlyDictionary<string, string> Outputs { get; init; } = new Dictionary<string, string>();

    public StepRun Step(string name) => Steps.Single(s => s.Name == name);

    public string Log => string.Join("\n", Steps.Select(s => $"--- {s.Name}: {s.Outcome}\n{s.Output}"));
}

/// <summary>
/// Runs one job of a GitHub workflow file for real, the way a runner would: its <c>run:</c> steps with bash,
/// env merged from the workflow, the job and the step (with the <c>${{ }}</c> expressions the examples use),
/// GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH honoured between steps, and <c>if:</c> conditions. The
/// setup-personaops action puts the personaops built with these tests on PATH; actions/checkout finds the
/// scenario's repository already checked out; actions/github-script runs its script with node against
/// <see cref="FakeGitHub"/>; setup-dotnet, cache and upload-artifact are skipped (and recorded as such).
/// </summary>
public sealed class WorkflowHarness
{
    private static readonly Regex Expression = new(@"\$\{\{\s*(.*?)\s*\}\}", RegexOptions.Compiled);

    /// <summary>Actions a runner would run that make no difference here: recorded, not run.</summary>
    private static readonly string[] Skipped = ["actions/setup-dotnet@", "actions/cache@", "actions/cache/", "actions/upload-artifact@"];

    private readonly YamlMappingNode _workflow;

    public WorkflowHarness(string workflowPath)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(workflowPath)));
        _workflow = (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public static string ExampleWorkflow(string name) => Path.Combine(CliRunner.RepositoryRoot(), "examples", "github", name);

    public static bool NodeIsAvailable()
    {
        try
        {
            using var node = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            node.WaitForExit();
            return node.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>The workspace (a checked-out Git repository), the event, the secrets and the fake GitHub of one run.</summary>
    public sealed class RunContext
    {
        public required string Workspace { get; init; }
        public required string EventName { get; init; }
        public required JsonObject Event { get; init; }
        public required string Sha { get; init; }
        public required FakeGitHub GitHub { get; init; }
        public Dictionary<string, string> Secrets { get; init; } = [];

        /// <summary>The script installed as personaops instead of the tests' build, when a scenario needs another one.</summary>
        public string? PersonaOps { get; set; }

        /// <summary>Variables of the runner's own environment, under every step.</summary>
        public Dictionary<string, string> Environment { get; init; } = [];
        public string Repository { get; init; } = "team/personas";

        /// <summary>The outputs of the jobs this one needs, by job name.</summary>
        public Dictionary<string, IReadOnlyDictionary<string, string>> Needs { get; init; } = [];
        public string RunId { get; init; } = "4242";
    }

    public async Task<JobRun> RunJobAsync(string jobName, RunContext run)
    {
        var job = (YamlMappingNode)Child(Child(_workflow, "jobs")!, jobName)!;
        var steps = new List<StepRun>();
        var outputs = new Dictionary<string, Dictionary<string, string>>();
        var outcomes = new Dictionary<string, string>();
        var ctx = new Evaluation(run, outputs, outcomes);
        var jobIf = Scalar(job, "if");
        if (jobIf is not null && !ctx.Condition(jobIf, failed: false))
        {
            return new JobRun(false, true, steps);
        }

        var runner = Path.Combine(Path.GetTempPath(), "personaops-runner-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(runner);
        try
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
                ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? runner,
                ["CI"] = "true",
                ["GITHUB_ACTIONS"] = "true",
                ["GITHUB_WORKSPACE"] = run.Workspace,
                ["GITHUB_REPOSITORY"] = run.Repository,
                ["GITHUB_EVENT_NAME"] = run.EventName,
                ["GITHUB_SHA"] = run.Sha,
                ["GITHUB_RUN_ID"] = run.RunId,
                ["GITHUB_SERVER_URL"] = "https://github.com",
                ["GITHUB_EVENT_PATH"] = Path.Combine(runner, "event.json"),
                ["RUNNER_TEMP"] = runner,
            };
            foreach (var name in new[] { "DOTNET_ROOT", "DOTNET_CLI_HOME", "NUGET_PACKAGES" })
            {
                if (Environment.GetEnvironmentVariable(name) is { } value)
                {
                    env[name] = value;
                }
            }

            foreach (var (name, value) in run.Environment)
            {
                env[name] = value;
            }

            await File.WriteAllTextAsync(env["GITHUB_EVENT_PATH"], run.Event.ToJsonString());
            Merge(env, Child(_workflow, "env"), ctx);
            Merge(env, Child(job, "env"), ctx);
            var path = new List<string>();
            var summary = new System.Text.StringBuilder();
            var failed = false;
            var index = 0;
            foreach (var stepNode in ((YamlSequenceNode)Child(job, "steps")!).Children.Cast<YamlMappingNode>())
            {
                index++;
                var uses = Scalar(stepNode, "uses");
                var name = Scalar(stepNode, "name") ?? uses?.Split('@')[0] ?? $"step {index}";
                var condition = Scalar(stepNode, "if");
                if (!ctx.Condition(condition, failed))
                {
                    steps.Add(new StepRun(name, "skipped", ""));
                    continue;
                }

                var stepEnv = new Dictionary<string, string>(env, StringComparer.Ordinal);
                Merge(stepEnv, Child(stepNode, "env"), ctx);
                if (path.Count > 0)
                {
                    stepEnv["PATH"] = string.Join(':', Enumerable.Reverse(path)) + ":" + stepEnv["PATH"];
                }

                var files = new[] { "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY" }.ToDictionary(f => f, f => Path.Combine(runner, $"{f.ToLowerInvariant()}-{index}"));
                foreach (var (variable, file) in files)
                {
                    await File.WriteAllTextAsync(file, "");
                    stepEnv[variable] = file;
                }

                var (exit, output) = uses switch
                {
                    null => await BashAsync(Scalar(stepNode, "run")!, stepEnv, run.Workspace, runner),
                    _ when uses.Contains("/setup-personaops", StringComparison.Ordinal) => await InstallPersonaOpsAsync(files["GITHUB_PATH"], runner, run.PersonaOps),
                    _ when uses.StartsWith("actions/github-script@", StringComparison.Ordinal) =>
                        await run.GitHub.RunScriptAsync(ctx.Interpolate(Scalar(Child(stepNode, "with")!, "script")!), stepEnv, run, runner),
                    _ when uses.StartsWith("actions/checkout@", StringComparison.Ordinal) => (0, "the scenario's repository is the workspace"),
                    _ when Skipped.Any(a => uses.StartsWith(a, StringComparison.Ordinal)) => (0, "skipped by the harness: " + uses),
                    _ => throw new NotSupportedException($"the harness does not run the action {uses}"),
                };
                var outcome = exit == 0 ? (uses is not null && output.StartsWith("skipped by the harness", StringComparison.Ordinal) ? "recorded" : "success") : "failure";
                steps.Add(new StepRun(name, outcome, output));
                failed |= exit != 0;

                if (Scalar(stepNode, "id") is { } id)
                {
                    outputs[id] = ReadKeyValues(files["GITHUB_OUTPUT"]);
                    outcomes[id] = exit == 0 ? "success" : "failure";
                }

                summary.Append(await File.ReadAllTextAsync(files["GITHUB_STEP_SUMMARY"]));

                foreach (var (key, value) in ReadKeyValues(files["GITHUB_ENV"]))
                {
                    env[key] = value;
                }

                path.AddRange(File.ReadAllLines(files["GITHUB_PATH"]).Where(l => l.Length > 0));
            }

            var jobOutputs = new Dictionary<string, string>(StringComparer.Ordinal);
            Merge(jobOutputs, Child(job, "outputs"), ctx);
            return new JobRun(true, !failed, steps) { Summary = summary.ToString(), Outputs = jobOutputs };
        }
        finally
        {
            Directory.Delete(runner, recursive: true);
        }
    }

    private static async Task<(int, string)> InstallPersonaOpsAsync(string githubPath, string runner, string? replacement)
    {
        // Instead of packing PersonaOps: the personaops these tests were built with.
        var tools = Path.Combine(runner, "personaops-tool");
        Directory.CreateDirectory(tools);
        var wrapper = Path.Combine(tools, "personaops");
        await File.WriteAllTextAsync(wrapper, replacement ?? $"#!/bin/sh\nexec dotnet \"{Path.Combine(AppContext.BaseDirectory, "personaops.dll")}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await File.AppendAllTextAsync(githubPath, tools + "\n");
        return (0, "personaops from the tests' build is on PATH");
    }

    private static async Task<(int, string)> BashAsync(string script, Dictionary<string, string> env, string workspace, string runner)
    {
        var file = Path.Combine(runner, $"step-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(file, script);
        // GitHub's default shell for run: steps.
        return await ProcessRunner.RunAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], env, workspace);
    }

    private static Dictionary<string, string> ReadKeyValues(string file)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(file);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var heredoc = line.IndexOf("<<", StringComparison.Ordinal);
            if (heredoc > 0 && (equals < 0 || heredoc < equals))
            {
                var delimiter = line[(heredoc + 2)..];
                var body = new List<string>();
                while (++i < lines.Length && lines[i] != delimiter)
                {
                    body.Add(lines[i]);
                }

                values[line[..heredoc]] = string.Join("\n", body);
            }
            else if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }

    private static void Merge(Dictionary<string, string> env, YamlNode? block, Evaluation ctx)
    {
        if (block is YamlMappingNode mapping)
        {
            foreach (var (key, value) in mapping.Children)
            {
                env[((YamlScalarNode)key).Value!] = ctx.Interpolate(((YamlScalarNode)value).Value ?? "");
            }
        }
    }

    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    /// <summary>The subset of GitHub's expressions the example workflows use.</summary>
    private sealed class Evaluation(RunContext run, Dictionary<string, Dictionary<string, string>> outputs, Dictionary<string, string> outcomes)
    {
        public string Interpolate(string text) => Expression.Replace(text, m => Value(m.Groups[1].Value));

        /// <summary>An <c>if:</c>: groups of terms joined by &amp;&amp;, the groups joined by ||; without a status function, success() is implied.</summary>
        public bool Condition(string? condition, bool failed)
        {
            if (condition is null)
            {
                return !failed;
            }

            var text = Expression.Match(condition) is { Success: true } m && m.Value == condition.Trim() ? m.Groups[1].Value : condition;
            var groups = text.Split("||", StringSplitOptions.TrimEntries).Select(g => g.Split("&&", StringSplitOptions.TrimEntries)).ToArray();
            var status = groups.Any(terms => terms.Any(t => t is "always()" or "success()" or "failure()"));
            if (!status && failed)
            {
                return false;
            }

            return groups.Any(terms => terms.All(term => term switch
            {
                "always()" => true,
                "success()" => !failed,
                "failure()" => failed,
                _ when term.Contains("!=", StringComparison.Ordinal) => !Equal(term.Split("!=", 2, StringSplitOptions.TrimEntries)),
                _ when term.Contains("==", StringComparison.Ordinal) => Equal(term.Split("==", 2, StringSplitOptions.TrimEntries)),
                _ => Value(term) is not ("" or "false" or "0"),
            }));
        }

        private bool Equal(string[] sides) => string.Equals(Value(sides[0]), Value(sides[1]), StringComparison.OrdinalIgnoreCase);

        private string Value(string expression)
        {
            expression = expression.Trim();
            if (expression.StartsWith('\'') && expression.EndsWith('\''))
            {
                return expression[1..^1].Replace("''", "'", StringComparison.Ordinal);
            }

            var parts = expression.Split('.');
            return parts switch
            {
                ["secrets", var name] => run.Secrets.GetValueOrDefault(name, ""),
                ["steps", var id, "outputs", var key] => outputs.GetValueOrDefault(id)?.GetValueOrDefault(key) ?? "",
                ["steps", var id, "outcome"] => outcomes.GetValueOrDefault(id, ""),
                ["inputs", var name] => Navigate(run.Event, ["inputs", name]),
                ["needs", var job, "outputs", var key] => run.Needs.GetValueOrDefault(job)?.GetValueOrDefault(key) ?? "",
                ["github", "event", .. var path] => Navigate(run.Event, path),
                ["github", "repository"] => run.Repository,
                ["github", "server_url"] => "https://github.com",
                ["github", "run_id"] => run.RunId,
                ["github", "event_name"] => run.EventName,
                ["github", "sha"] => run.Sha,
                ["github", "token"] => "ghs_harness-token",
                _ => throw new NotSupportedException($"the harness does not evaluate ${{{{ {expression} }}}}"),
            };
        }

        private static string Navigate(JsonNode? node, string[] path)
        {
            foreach (var part in path)
            {
                node = node is JsonObject o ? o[part] : null;
            }

            return node switch
            {
                null => "",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                _ => node.ToJsonString(),
            };
        }
    }
}

/// <summary>Runs a process to its end with an exact environment; its stdout and stderr together.</summary>
internal static class ProcessRunner
{
    public static async Task<(int, string)> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string workingDirectory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Clear();
        foreach (var (name, value) in env)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
