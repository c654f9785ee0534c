using System.Text.Json.Nodes;

namespace PersonaOps.Cli.Tests.Workflows;

/// <summary>One call an actions/github-script step made: the method (e.g. "issues.createComment") and its arguments.</summary>
public sealed record GitHubCall(string Method, JsonObject Args);

/// <summary>An issue of the fake GitHub; its labels joined by commas.</summary>
public sealed record FakeIssue(int Number, string State, string Title, string Body, string LabelList)
{
    public string[] Labels => LabelList.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// An in-memory GitHub for actions/github-script steps: issue comments, and the pull requests a commit came
/// from. Each script runs under node wrapped in an async function, as github-script does, with a fake
/// <c>github</c> (rest.issues.*, rest.repos.listPullRequestsAssociatedWithCommit, paginate), <c>context</c> and
/// <c>core</c> that record every call and answer from this state, which is carried from step to step and run
/// to run.
/// </summary>
public sealed class FakeGitHub
{
    private const string Glue = """
        const fs = require("fs");
        const statePath = process.env.HARNESS_GITHUB_STATE;
        const state = JSON.parse(fs.readFileSync(statePath, "utf8"));
        const save = () => fs.writeFileSync(statePath, JSON.stringify(state));
        const record = (method, args) => state.calls.push({ method, args: JSON.parse(JSON.stringify(args ?? {})) });
        const notFound = () => Object.assign(new Error("Not Found"), { status: 404 });
        const bot = { login: "github-actions[bot]", type: "Bot" };
        const issues = {
          listComments: async a => { record("issues.listComments", a); return { data: (state.comments[a.issue_number] || []).map(c => ({ ...c })) }; },
          createComment: async a => {
            record("issues.createComment", a);
            const c = { id: state.nextId++, body: a.body, user: bot };
            (state.comments[a.issue_number] ||= []).push(c);
            return { data: c };
          },
          updateComment: async a => {
            record("issues.updateComment", a);
            const c = Object.values(state.comments).flat().find(c => c.id === a.comment_id);
            if (!c) throw notFound();
            c.body = a.body;
            return { data: c };
          },
          listForRepo: async a => {
            record("issues.listForRepo", a);
            const labels = a.labels ? a.labels.split(",") : [];
            return { data: state.issues.filter(i => (!a.state || a.state === "all" || i.state === a.state) && labels.every(l => i.labels.some(x => x.name === l))).map(i => ({ ...i })) };
          },
          create: async a => {
            record("issues.create", a);
            const i = { number: state.nextIssue++, title: a.title, body: a.body, state: "open", labels: (a.labels || []).map(name => ({ name })) };
            state.issues.push(i);
            return { data: i };
          },
          update: async a => {
            record("issues.update", a);
            const i = state.issues.find(i => i.number === a.issue_number);
            if (!i) throw notFound();
            for (const k of ["title", "body", "state", "state_reason"]) if (a[k] !== undefined) i[k] = a[k];
            return { data: i };
          },
        };
        const repos = {
          listPullRequestsAssociatedWithCommit: async a => { record("repos.listPullRequestsAssociatedWithCommit", a); return { data: state.pulls[a.commit_sha] || [] }; },
        };
        const actions = {
          getWorkflowRun: async a => { record("actions.getWorkflowRun", a); return { data: { id: a.run_id, workflow_id: 1234 } }; },
          listWorkflowRuns: async a => {
            record("actions.listWorkflowRuns", a);
            const runs = state.runs.filter(r => a.workflow_id === 1234 && (!a.status || r.conclusion === a.status) && (!a.branch || r.head_branch === a.branch));
            return { data: { total_count: runs.length, workflow_runs: runs.slice(0, a.per_page || 30) } };
          },
        };
        const pulls = {
          get: async a => { record("pulls.get", a); const p = state.pullRequests[a.pull_number]; if (!p) throw notFound(); return { data: p }; },
        };
        const github = { rest: { issues, repos, actions, pulls }, paginate: async (method, args) => (await method(args)).data };
        const event = JSON.parse(fs.readFileSync(process.env.GITHUB_EVENT_PATH, "utf8"));
        const [owner, repo] = process.env.GITHUB_REPOSITORY.split("/");
        const context = {
          repo: { owner, repo }, payload: event, eventName: process.env.GITHUB_EVENT_NAME, sha: process.env.GITHUB_SHA,
          runId: Number(process.env.GITHUB_RUN_ID), serverUrl: process.env.GITHUB_SERVER_URL,
        };
        const core = {
          setFailed: message => { record("core.setFailed", { message }); console.log(`::error::${message}`); process.exitCode = 1; },
          info: message => { record("core.info", { message }); console.log(message); },
          setOutput: (name, value) => fs.appendFileSync(process.env.GITHUB_OUTPUT, `${name}=${value}\n`),
        };
        (async () => {
        //SCRIPT
        })().catch(e => { record("error", { message: String(e && e.message) }); console.error(e); process.exitCode = 1; }).finally(save);
        """;

    private JsonObject _state = new()
    {
        ["comments"] = new JsonObject(),
        ["pulls"] = new JsonObject(),
        ["calls"] = new JsonArray(),
        ["nextId"] = 1001,
        ["issues"] = new JsonArray(),
        ["nextIssue"] = 50,
        ["runs"] = new JsonArray(),
        ["pullRequests"] = new JsonObject(),
    };

    /// <summary>Records a finished run of the apply workflow on main (newest first, as GitHub lists them).</summary>
    public void FinishedApplyRun(string headSha, bool succeeded) =>
        _state["runs"]!.AsArray().Insert(0, new JsonObject { ["head_sha"] = headSha, ["head_branch"] = "main", ["conclusion"] = succeeded ? "success" : "failure" });

    /// <summary>A pull request as pulls.get answers it.</summary>
    public void PullRequest(int number, JsonObject pullRequest) => _state["pullRequests"]![number.ToString(System.Globalization.CultureInfo.InvariantCulture)] = pullRequest;

    /// <summary>Every call so far, in order.</summary>
    public IReadOnlyList<GitHubCall> Calls =>
        [.. _state["calls"]!.AsArray().Select(c => new GitHubCall(c!["method"]!.GetValue<string>(), c["args"]!.AsObject()))];

    /// <summary>The comments of an issue or pull request: (id, body), oldest first.</summary>
    public IReadOnlyList<(long Id, string Body)> Comments(int issue) =>
        _state["comments"]![issue.ToString(System.Globalization.CultureInfo.InvariantCulture)] is JsonArray comments
            ? [.. comments.Select(c => (c!["id"]!.GetValue<long>(), c["body"]!.GetValue<string>()))]
            : [];

    /// <summary>The issues opened through the fake (not pull requests).</summary>
    public IReadOnlyList<FakeIssue> Issues() =>
        [.. _state["issues"]!.AsArray().Select(i => new FakeIssue(
            i!["number"]!.GetValue<int>(), i["state"]!.GetValue<string>(), i["title"]!.GetValue<string>(), i["body"]!.GetValue<string>(),
            string.Join(",", i["labels"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()))))];

    /// <summary>Forgets the calls recorded so far (the comments stay), so a scenario can assert one run's calls.</summary>
    public void ClearCalls() => _state["calls"] = new JsonArray();

    /// <summary>Says that <paramref name="commit"/> came from pull request <paramref name="number"/>, merged.</summary>
    public void MergedPullRequest(string commit, int number) =>
        _state["pulls"]![commit] = new JsonArray(new JsonObject { ["number"] = number, ["merged_at"] = "2026-01-01T00:00:00Z" });

    internal async Task<(int, string)> RunScriptAsync(string script, Dictionary<string, string> env, WorkflowHarness.RunContext run, string runner)
    {
        var statePath = Path.Combine(runner, "github-state.json");
        var scriptPath = Path.Combine(runner, $"github-script-{Guid.NewGuid():N}.js");
        await File.WriteAllTextAsync(statePath, _state.ToJsonString());
        await File.WriteAllTextAsync(scriptPath, Glue.Replace("//SCRIPT", script, StringComparison.Ordinal));
        var scriptEnv = new Dictionary<string, string>(env) { ["HARNESS_GITHUB_STATE"] = statePath };
        var result = await ProcessRunner.RunAsync("node", [scriptPath], scriptEnv, run.Workspace);
        _state = JsonNode.Parse(await File.ReadAllTextAsync(statePath))!.AsObject();
        return result;
    }
}
