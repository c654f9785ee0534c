using System.Text.Json.Nodes;
using PersonaOps.Cli.Tests.Git;
using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Cli.Tests.Workflows;

/// <summary>
/// The example plan, apply and drift workflows, run for real by <see cref="WorkflowHarness"/> in a temporary
/// repository laid out like a team's personas repository, against a served sandbox, with GitHub faked in
/// memory: each scenario asserts the calls the workflow made to GitHub and the comment bodies it wrote.
/// </summary>
public sealed class ExampleWorkflowTests
{
    private const string Key = "workflow-key";
    private const int Pull = 7;
    private const string RunUrl = "https://github.com/team/personas/actions/runs/4242";
    private const string Marker = "<!-- personaops:plan ";
    private const string DriftLabel = "personaops-drift";

    /// <summary>A team's repository with a served account and a fake GitHub, for one scenario.</summary>
    private sealed class Scenario : IAsyncDisposable
    {
        private Scenario(TempRepository repo, PersonaStore store, SandboxServer server, string @base)
        {
            Repo = repo;
            Store = store;
            Server = server;
            Base = @base;
        }

        public TempRepository Repo { get; }
        public PersonaStore Store { get; }
        public SandboxServer Server { get; }
        public string Base { get; }
        public FakeGitHub GitHub { get; } = new();

        public static async Task<Scenario> StartAsync()
        {
            var repo = new TempRepository();
            repo.Write("README.md", "Our personas.\n");
            repo.Write("personas/.keep", "");
            var @base = repo.Commit("start");
            // What the jobs write into the workspace stays out of the scenario's commits: on GitHub each
            // job starts from a fresh checkout.
            File.WriteAllText(Path.Combine(repo.Root, ".git", "info", "exclude"), "/plan*\n/apply-*\n/drift*\n");
            var store = new PersonaStore(Path.Combine(repo.Root, ".git", "served.db"));
            var server = await SandboxServer.StartAsync(new SandboxApi(store, new SandboxOptions { ApiKey = Key }), 0);
            return new Scenario(repo, store, server, @base);
        }

        /// <summary>Commits a change on the pull request's branch and returns the head commit.</summary>
        public string PushToPullRequest(string prompt)
        {
            if (_branched)
            {
                Repo.Git("checkout", "-q", "change");
            }
            else
            {
                Repo.Git("checkout", "-q", "-b", "change", Base);
                _branched = true;
            }

            Repo.Write("personas/coach.yaml", TempProject.Manifest("coach", "Coach", prompt));
            return Repo.Commit("coach: " + prompt);
        }

        private bool _branched;

        /// <summary>A pull request's branch from main's tip, with one persona written: its head commit.</summary>
        public string Branch(string branch, string name, string prompt)
        {
            Repo.Git("checkout", "-q", "-b", branch, "main");
            Repo.Write($"personas/{name}.yaml", TempProject.Manifest(name, char.ToUpperInvariant(name[0]) + name[1..], prompt));
            return Repo.Commit($"{name}: {prompt}");
        }

        /// <summary>Merges a pull request's head into main (a merge commit), as GitHub's merge button does.</summary>
        public string Merge(string head, int pull = Pull)
        {
            Repo.Git("checkout", "-q", "main");
            Repo.Git("merge", "-q", "--no-ff", "-m", $"Merge pull request #{pull}", head);
            var merge = Repo.Git("rev-parse", "HEAD").Trim();
            GitHub.MergedPullRequest(merge, pull);
            return merge;
        }

        public string Main => Repo.Git("rev-parse", "main").Trim();

        /// <summary>
        /// Publishes a fork's pull request on the repository's remote (a bare repository standing in for GitHub):
        /// its head and GitHub's test merge into main, under refs/pull/N/, and the pull request for pulls.get.
        /// The local branch is deleted: the workspace knows the fork only through what a job fetches.
        /// </summary>
        public void PublishForkPullRequest(string head, int pull = Pull)
        {
            EnsureOrigin();
            var main = Main;
            Repo.Git("checkout", "-q", "--detach", main);
            Repo.Git("merge", "-q", "--no-ff", "-m", $"Merge {head} into {main}", head);
            var testMerge = Repo.Git("rev-parse", "HEAD").Trim();
            Repo.Git("push", "-q", "origin", $"{head}:refs/pull/{pull}/head", $"{testMerge}:refs/pull/{pull}/merge", "main:refs/heads/main");
            Repo.Git("checkout", "-q", "main");
            Repo.Git("branch", "-q", "-D", "change");
            _branched = false;
            GitHub.PullRequest(pull, new JsonObject
            {
                ["number"] = pull,
                ["state"] = "open",
                ["head"] = new JsonObject { ["sha"] = head, ["repo"] = new JsonObject { ["full_name"] = "someone/personas" } },
                ["base"] = new JsonObject { ["sha"] = main, ["ref"] = "main" },
            });
        }

        /// <summary>The repository's remote: a bare repository standing in for GitHub's, holding main.</summary>
        public string EnsureOrigin()
        {
            var origin = Path.Combine(Repo.Root, ".git", "origin.git");
            if (!Directory.Exists(origin))
            {
                Repo.Git("init", "-q", "--bare", origin);
                Repo.Git("remote", "add", "origin", origin);
                Repo.Git("push", "-q", "origin", "main:refs/heads/main");
            }

            return origin;
        }

        /// <summary>
        /// Runs the drift workflow's adopt job after <paramref name="drift"/>, with a fake <c>gh</c> on PATH that
        /// records its arguments (one call per line in gh-calls.log beside the remote) and answers from a small
        /// state: whether the adoption pull request is open.
        /// </summary>
        public async Task<JobRun> AdoptAsync(JobRun drift)
        {
            var origin = EnsureOrigin();
            var bin = Path.Combine(Repo.Root, ".git", "fake-bin");
            Directory.CreateDirectory(bin);
            var gh = Path.Combine(bin, "gh");
            await File.WriteAllTextAsync(gh, $$"""
                #!/usr/bin/env bash
                printf '%s\n' "$*" >> '{{origin}}/gh-calls.log'
                case "$1 $2" in
                  "pr view") if [ -f '{{origin}}/gh-pr-open' ]; then echo OPEN; else echo "no pull requests found" >&2; exit 1; fi ;;
                  "pr create") touch '{{origin}}/gh-pr-open'; cp "${@: -1}" '{{origin}}/gh-pr-body.md'; echo "https://github.com/team/personas/pull/90" ;;
                  "pr edit") cp "${@: -1}" '{{origin}}/gh-pr-body.md' ;;
                  *) echo "fake gh: unexpected $*" >&2; exit 1 ;;
                esac
                """.Replace("\r", "", StringComparison.Ordinal));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(gh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            Repo.Git("checkout", "-q", "-f", "main");
            var context = Context("schedule", new JsonObject { ["schedule"] = "17 6 * * *", ["repository"] = new JsonObject { ["default_branch"] = "main" } }, Main, Key);
            context.Environment["PATH"] = bin + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
            context.Needs["drift"] = drift.Outputs;
            var job = await new WorkflowHarness(WorkflowHarness.ExampleWorkflow("personaops-drift.yml")).RunJobAsync("adopt", context);
            Repo.Git("checkout", "-q", "-f", "main");
            return job;
        }

        /// <summary>What the fake gh was called with, one call per line.</summary>
        public string[] GhCalls => File.Exists(Path.Combine(EnsureOrigin(), "gh-calls.log")) ? File.ReadAllLines(Path.Combine(EnsureOrigin(), "gh-calls.log")) : [];

        /// <summary>A maintainer starts the plan workflow by hand for a pull request: it runs on main.</summary>
        public Task<JobRun> RequestPlanAsync(string pull = "7")
        {
            Repo.Git("checkout", "-q", "main");
            var payload = new JsonObject { ["ref"] = "refs/heads/main", ["inputs"] = new JsonObject { ["pull_request"] = pull } };
            return new WorkflowHarness(WorkflowHarness.ExampleWorkflow("personaops-plan.yml")).RunJobAsync("plan", Context("workflow_dispatch", payload, Main, Key));
        }

        public Task<JobRun> PlanAsync(string head, string key = Key, string job = "plan", string headRepository = "team/personas", int pull = Pull, string? @base = null)
        {
            Repo.Git("checkout", "-q", "--detach", head);
            var payload = new JsonObject
            {
                ["number"] = pull,
                ["pull_request"] = new JsonObject
                {
                    ["number"] = pull,
                    ["head"] = new JsonObject { ["sha"] = head, ["repo"] = new JsonObject { ["full_name"] = headRepository } },
                    ["base"] = new JsonObject { ["sha"] = @base ?? Base },
                },
            };
            return new WorkflowHarness(WorkflowHarness.ExampleWorkflow("personaops-plan.yml")).RunJobAsync(job, Context("pull_request", payload, head, key));
        }

        /// <summary>Runs the apply workflow for a push of main from <paramref name="before"/> to <paramref name="sha"/> (or a manual run), and records its conclusion as GitHub would.</summary>
        public async Task<JobRun> ApplyAsync(string before, string sha, string eventName = "push", string? personaops = null)
        {
            Repo.Git("checkout", "-q", "--detach", sha);
            var payload = eventName == "push" ? new JsonObject { ["before"] = before, ["after"] = sha, ["ref"] = "refs/heads/main" } : new JsonObject { ["ref"] = "refs/heads/main", ["inputs"] = new JsonObject() };
            var context = Context(eventName, payload, sha, Key);
            context.PersonaOps = personaops;
            var job = await new WorkflowHarness(WorkflowHarness.ExampleWorkflow("personaops-apply.yml")).RunJobAsync("apply", context);
            GitHub.FinishedApplyRun(sha, job.Succeeded);
            return job;
        }

        public Task<JobRun> DriftAsync(string? personaops = null)
        {
            Repo.Git("checkout", "-q", "main");
            var sha = Repo.Git("rev-parse", "HEAD").Trim();
            var context = Context("schedule", new JsonObject { ["schedule"] = "17 6 * * *" }, sha, Key);
            context.PersonaOps = personaops;
            return new WorkflowHarness(WorkflowHarness.ExampleWorkflow("personaops-drift.yml")).RunJobAsync("drift", context);
        }

        /// <summary>Commits the coach to main and applies it to the account with personaops itself.</summary>
        public async Task ApplyCoachOnMainAsync()
        {
            Repo.Git("checkout", "-q", "main");
            Repo.Write("personas/coach.yaml", TempProject.Manifest("coach", "Coach", "You coach people."));
            Repo.Commit("coach");
            var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = Server.BaseAddress.ToString() };
            var apply = await CliRunner.RunAsync(Repo.Root, env, "apply", "--auto-approve");
            apply.ExitCode.ShouldBe(0, apply.Stdout + apply.Stderr);
        }

        /// <summary>An edit made in the dashboard: the live coach's prompt.</summary>
        public void EditCoachLive(string prompt)
        {
            var id = Store.List("user", 100, 0).Page.Single(p => p.Body["persona_name"]?.GetValue<string>() == "Coach").Id;
            Store.Update(id, r =>
            {
                var body = r.Body.DeepClone().AsObject();
                body["system_prompt"] = prompt;
                return new UpdateDecision.Store(body, false);
            });
        }

        private WorkflowHarness.RunContext Context(string eventName, JsonObject payload, string sha, string key) => new()
        {
            Workspace = Repo.Root,
            EventName = eventName,
            Event = payload,
            Sha = sha,
            GitHub = GitHub,
            Secrets = new() { ["TAVUS_API_KEY"] = key },
            // The account's address: the served sandbox instead of Tavus (the runner's environment).
            Environment = new() { ["TAVUS_API_URL"] = Server.BaseAddress.ToString() },
        };

        /// <summary>The personas the account holds, through the API.</summary>
        public async Task<string> AccountAsync()
        {
            using var http = new HttpClient { BaseAddress = Server.BaseAddress };
            http.DefaultRequestHeaders.Add("x-api-key", Key);
            return await http.GetStringAsync(new Uri("/v2/personas", UriKind.Relative));
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Store.Dispose();
            Repo.Dispose();
        }
    }

    private static string[] Methods(FakeGitHub github) => [.. github.Calls.Select(c => c.Method)];

    [Fact]
    public async Task APullRequestsFirstPlan_CreatesTheStickyComment_NamingTheCommitAndTheRun()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var head = scenario.PushToPullRequest("You coach people.");

        var job = await scenario.PlanAsync(head);

        job.Succeeded.ShouldBeTrue(job.Log);
        job.Step("Plan").Outcome.ShouldBe("success", job.Log);
        job.Step("actions/upload-artifact").Outcome.ShouldBe("recorded", job.Log);
        job.Step("Fail the job when the plan failed").Outcome.ShouldBe("skipped", job.Log);
        Methods(scenario.GitHub).ShouldBe(["issues.listComments", "issues.createComment"]);
        scenario.GitHub.Calls[1].Args["issue_number"]!.GetValue<int>().ShouldBe(Pull);
        var body = scenario.GitHub.Comments(Pull).ShouldHaveSingleItem().Body;
        body.ShouldMatch(@"^<!-- personaops:plan sha256=[0-9a-f]{64} -->");
        // The commit as the comment shows it (its first 12 digits), and a link to this run.
        body.ShouldContain($"Computed for commit <code>{head[..12]}</code> in <a href=\"{RunUrl}\">this run</a>.", customMessage: body);
        body.ShouldContain("coach");
        body.ShouldNotContain(Key);
    }

    [Fact]
    public async Task AnUpdateOfThePullRequest_UpdatesTheSameComment_NeverASecondOne()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        (await scenario.PlanAsync(scenario.PushToPullRequest("You coach people."))).Succeeded.ShouldBeTrue();
        var (id, first) = scenario.GitHub.Comments(Pull).ShouldHaveSingleItem();
        scenario.GitHub.ClearCalls();

        var head = scenario.PushToPullRequest("You coach people kindly.");
        var job = await scenario.PlanAsync(head);

        job.Succeeded.ShouldBeTrue(job.Log);
        Methods(scenario.GitHub).ShouldBe(["issues.listComments", "issues.updateComment"]);
        scenario.GitHub.Calls[1].Args["comment_id"]!.GetValue<long>().ShouldBe(id);
        var (sameId, body) = scenario.GitHub.Comments(Pull).ShouldHaveSingleItem();
        sameId.ShouldBe(id);
        body.ShouldContain($"commit <code>{head[..12]}</code>", customMessage: body);
        body.ShouldContain("kindly");
        body.ShouldStartWith(Marker + "sha256=");
        body.ShouldNotBe(first);
    }

    [Fact]
    public async Task AFailingPlan_ReplacesTheCommentWithTheError_WithNoFingerprint_AndFailsTheJob()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        (await scenario.PlanAsync(scenario.PushToPullRequest("You coach people."))).Succeeded.ShouldBeTrue();
        var (id, _) = scenario.GitHub.Comments(Pull).ShouldHaveSingleItem();
        scenario.GitHub.ClearCalls();

        // The account refuses the key: personaops plan fails.
        var head = scenario.PushToPullRequest("You coach people kindly.");
        var job = await scenario.PlanAsync(head, key: "a-revoked-key");

        job.Succeeded.ShouldBeFalse(job.Log);
        job.Step("actions/upload-artifact").Outcome.ShouldBe("skipped", job.Log);
        job.Step("Post or update the plan comment").Outcome.ShouldBe("success", job.Log);
        job.Step("Fail the job when the plan failed").Outcome.ShouldBe("failure", job.Log);
        Methods(scenario.GitHub).ShouldBe(["issues.listComments", "issues.updateComment"]);
        var (sameId, body) = scenario.GitHub.Comments(Pull).ShouldHaveSingleItem();
        sameId.ShouldBe(id);
        body.ShouldStartWith("<!-- personaops:plan failed -->\n### PersonaOps plan failed");
        body.ShouldNotContain("sha256=");
        body.ShouldContain("No plan is current for this pull request.");
        body.ShouldContain(head);
        body.ShouldContain(RunUrl);
        body.ShouldContain("<pre>");
        body.ShouldNotContain("a-revoked-key");
    }

    [Fact]
    public async Task Drift_OpensTheTrackingIssue_UpdatesIt_AndClosesItOnceDriftIsGone()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        await scenario.ApplyCoachOnMainAsync();

        // Found: one issue opened, labelled, with the report and the run.
        scenario.EditCoachLive("You coach people, edited in the dashboard.");
        var found = await scenario.DriftAsync();
        found.Succeeded.ShouldBeTrue(found.Log);
        Methods(scenario.GitHub).ShouldBe(["issues.listForRepo", "issues.create"]);
        scenario.GitHub.Calls[0].Args["labels"]!.GetValue<string>().ShouldBe(DriftLabel);
        scenario.GitHub.Calls[0].Args["state"]!.GetValue<string>().ShouldBe("open");
        var issue = scenario.GitHub.Issues().ShouldHaveSingleItem();
        issue.State.ShouldBe("open");
        issue.Labels.ShouldBe([DriftLabel]);
        issue.Body.ShouldContain("coach");
        issue.Body.ShouldEndWith($"Last checked by {RunUrl}.");
        issue.Body.ShouldNotContain(Key);

        // Still drifted: the same issue updated, no second one.
        scenario.GitHub.ClearCalls();
        scenario.EditCoachLive("You coach people, edited twice.");
        var updated = await scenario.DriftAsync();
        updated.Succeeded.ShouldBeTrue(updated.Log);
        Methods(scenario.GitHub).ShouldBe(["issues.listForRepo", "issues.update"]);
        scenario.GitHub.Calls[1].Args["issue_number"]!.GetValue<int>().ShouldBe(issue.Number);
        scenario.GitHub.Issues().ShouldHaveSingleItem().Body.ShouldContain("edited twice");

        // Gone: a comment saying so, and the issue closed.
        scenario.GitHub.ClearCalls();
        scenario.EditCoachLive("You coach people.");
        var gone = await scenario.DriftAsync();
        gone.Succeeded.ShouldBeTrue(gone.Log);
        Methods(scenario.GitHub).ShouldBe(["issues.listForRepo", "issues.createComment", "issues.update"]);
        scenario.GitHub.Comments(issue.Number).ShouldHaveSingleItem().Body.ShouldBe($"No drift any more ({RunUrl}).");
        scenario.GitHub.Calls[2].Args["state"]!.GetValue<string>().ShouldBe("closed");
        scenario.GitHub.Issues().ShouldHaveSingleItem().State.ShouldBe("closed");
    }

    [Fact]
    public async Task DriftKilled_Exit137_FailsTheJob_AndLeavesTheTrackingIssueAsItIs()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        await scenario.ApplyCoachOnMainAsync();
        scenario.EditCoachLive("You coach people, edited in the dashboard.");
        (await scenario.DriftAsync()).Succeeded.ShouldBeTrue();
        var before = scenario.GitHub.Issues().ShouldHaveSingleItem();
        scenario.GitHub.ClearCalls();

        // personaops killed by the out-of-memory killer (SIGKILL: exit 137).
        var job = await scenario.DriftAsync(personaops: "#!/bin/sh\nkill -KILL $$\n");

        job.Succeeded.ShouldBeFalse(job.Log);
        job.Step("Drift").Outcome.ShouldBe("failure", job.Log);
        job.Step("Open, update or close the tracking issue").Outcome.ShouldBe("skipped", job.Log);
        scenario.GitHub.Calls.ShouldBeEmpty();
        scenario.GitHub.Issues().ShouldHaveSingleItem().ShouldBe(before);
    }

    [Fact]
    public async Task AForkPullRequest_IsValidated_AndGetsNoPlan_NorAnyCallToGitHub()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var head = scenario.PushToPullRequest("You coach people.");

        var validate = await scenario.PlanAsync(head, job: "validate", headRepository: "someone/personas");
        var plan = await scenario.PlanAsync(head, headRepository: "someone/personas");

        validate.Succeeded.ShouldBeTrue(validate.Log);
        validate.Step("Validate").Outcome.ShouldBe("success", validate.Log);
        plan.Ran.ShouldBeFalse(plan.Log);
        scenario.GitHub.Calls.ShouldBeEmpty();
        scenario.GitHub.Comments(Pull).ShouldBeEmpty();
    }

    private static string[] Calls(FakeGitHub github) => [.. github.Calls.Select(c => c.Method).Where(m => m != "core.info")];

    private static string Fingerprint(FakeGitHub github, int pull) =>
        github.Comments(pull).Single(c => c.Body.StartsWith(Marker, StringComparison.Ordinal)).Body[(Marker.Length + "sha256=".Length)..][..64];

    private static string ApplyComment(FakeGitHub github, int pull) =>
        github.Comments(pull).Single(c => c.Body.StartsWith("<!-- personaops:apply -->", StringComparison.Ordinal)).Body;

    [Fact]
    public async Task ApplyAfterAReviewedMerge_AppliesThePlanReviewedInThePullRequest_AndReportsToIt()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var head = scenario.PushToPullRequest("You coach people.");
        (await scenario.PlanAsync(head)).Succeeded.ShouldBeTrue();
        scenario.GitHub.ClearCalls();
        var merge = scenario.Merge(head);

        var job = await scenario.ApplyAsync(scenario.Base, merge);

        job.Succeeded.ShouldBeTrue(job.Log);
        job.Step("Apply each change as reviewed").Outcome.ShouldBe("success", job.Log);
        Calls(scenario.GitHub).ShouldBe(["actions.getWorkflowRun", "actions.listWorkflowRuns", "repos.listPullRequestsAssociatedWithCommit", "issues.listComments", "issues.createComment"]);
        scenario.GitHub.Calls.Single(c => c.Method == "repos.listPullRequestsAssociatedWithCommit").Args["commit_sha"]!.GetValue<string>().ShouldBe(merge);
        var report = ApplyComment(scenario.GitHub, Pull);
        report.ShouldStartWith("<!-- personaops:apply -->\n### PersonaOps applied this change");
        report.ShouldContain($"Commit {merge} was applied in [this run]({RunUrl})");
        report.ShouldContain("persona.coach");
        report.ShouldNotContain(Key);
        job.Summary.ShouldContain("- #7: applied");
        (await scenario.AccountAsync()).ShouldContain("You coach people.");
    }

    [Fact]
    public async Task ApplyOfAnUnreviewedChange_IsRefused_AndNothingIsApplied()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        // Pushed straight to main: no pull request, so no plan was reviewed.
        scenario.Repo.Git("checkout", "-q", "main");
        scenario.Repo.Write("personas/coach.yaml", TempProject.Manifest("coach", "Coach", "You coach people."));
        var pushed = scenario.Repo.Commit("coach, unreviewed");

        var job = await scenario.ApplyAsync(scenario.Base, pushed);

        job.Succeeded.ShouldBeFalse(job.Log);
        Calls(scenario.GitHub).ShouldBe(["actions.getWorkflowRun", "actions.listWorkflowRuns", "repos.listPullRequestsAssociatedWithCommit", "core.setFailed"]);
        var message = scenario.GitHub.Calls.Single(c => c.Method == "core.setFailed").Args["message"]!.GetValue<string>();
        message.ShouldStartWith($"Merged but not applied: commit {pushed} (refused).");
        message.ShouldContain("start this workflow by hand");
        job.Summary.ShouldContain("it was pushed to main without a pull request, so no plan was reviewed");
        (await scenario.AccountAsync()).ShouldNotContain("You coach people.");
    }

    [Fact]
    public async Task ApplyAfterAMergeWhoseLastPlanFailed_IsRefused_AndThePullRequestIsTold()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var head = scenario.PushToPullRequest("You coach people.");
        (await scenario.PlanAsync(head)).Succeeded.ShouldBeTrue();
        (await scenario.PlanAsync(head, key: "a-revoked-key")).Succeeded.ShouldBeFalse();
        scenario.GitHub.ClearCalls();
        var merge = scenario.Merge(head);

        var job = await scenario.ApplyAsync(scenario.Base, merge);

        job.Succeeded.ShouldBeFalse(job.Log);
        Calls(scenario.GitHub).ShouldBe(["actions.getWorkflowRun", "actions.listWorkflowRuns", "repos.listPullRequestsAssociatedWithCommit", "issues.listComments", "issues.createComment", "core.setFailed"]);
        var report = ApplyComment(scenario.GitHub, Pull);
        report.ShouldContain("**This change is merged but not applied.**");
        report.ShouldContain("the pull request's last plan failed, so no plan was reviewed");
        scenario.GitHub.Calls.Single(c => c.Method == "core.setFailed").Args["message"]!.GetValue<string>().ShouldStartWith("Merged but not applied: #7 (refused).");
        (await scenario.AccountAsync()).ShouldNotContain("You coach people.");
    }

    [Fact]
    public async Task ApplyWhenTheAccountChangedAfterTheReview_IsRefused_NamingBothPlans()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var head = scenario.PushToPullRequest("You coach people.");
        (await scenario.PlanAsync(head)).Succeeded.ShouldBeTrue();
        var reviewed = Fingerprint(scenario.GitHub, Pull);
        var merge = scenario.Merge(head);
        // Someone applies the change from a laptop before the workflow runs, and the dashboard edits it.
        var env = new Dictionary<string, string> { ["TAVUS_API_KEY"] = Key, ["TAVUS_API_URL"] = scenario.Server.BaseAddress.ToString() };
        (await CliRunner.RunAsync(scenario.Repo.Root, env, "apply", "--auto-approve")).ExitCode.ShouldBe(0);
        scenario.EditCoachLive("You coach people, edited in the dashboard.");

        var job = await scenario.ApplyAsync(scenario.Base, merge);

        job.Succeeded.ShouldBeFalse(job.Log);
        var report = ApplyComment(scenario.GitHub, Pull);
        report.ShouldContain($"differs from the one reviewed (sha256={reviewed}): main or the account changed after the review");
        report.ShouldContain("Nothing of it was changed.");
        (await scenario.AccountAsync()).ShouldContain("edited in the dashboard");
    }

    [Fact]
    public async Task ThreeQuickMerges_TheMiddleRunCancelled_TheRunThatGoesAheadAppliesBoth_AndTellsEachPullRequest()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        // #11 is merged and applied.
        var first = scenario.Branch("first", "coach", "You coach people.");
        (await scenario.PlanAsync(first, pull: 11, @base: scenario.Main)).Succeeded.ShouldBeTrue();
        var m1 = scenario.Merge(first, 11);
        (await scenario.ApplyAsync(scenario.Base, m1)).Succeeded.ShouldBeTrue();
        // #12, up to date with main, is reviewed and merged; its run waits behind a busy runner...
        var second = scenario.Branch("second", "mentor", "You mentor people.");
        (await scenario.PlanAsync(second, pull: 12, @base: m1)).Succeeded.ShouldBeTrue();
        var m2 = scenario.Merge(second, 12);
        // ...#13 is brought up to date with that main and reviewed (its plan shows #12's mentor too, since
        // the account does not hold it yet), then merged; GitHub cancels the pending run of #12.
        var third = scenario.Branch("third", "guide", "You guide people.");
        (await scenario.PlanAsync(third, pull: 13, @base: m2)).Succeeded.ShouldBeTrue();
        var m3 = scenario.Merge(third, 13);
        scenario.GitHub.ClearCalls();

        var job = await scenario.ApplyAsync(m2, m3);

        job.Succeeded.ShouldBeTrue(job.Log);
        scenario.GitHub.Calls.Where(c => c.Method == "repos.listPullRequestsAssociatedWithCommit").Select(c => c.Args["commit_sha"]!.GetValue<string>()).ShouldBe([m2, m3]);
        scenario.GitHub.Calls.Where(c => c.Method == "issues.createComment").Select(c => c.Args["issue_number"]!.GetValue<int>()).ShouldBe([12, 13]);
        ApplyComment(scenario.GitHub, 12).ShouldContain("this change was applied as part of the plan reviewed in #13, which was made after this merge and included it");
        ApplyComment(scenario.GitHub, 13).ShouldContain($"Commit {m3} was applied");
        job.Summary.ShouldContain("- #12: applied with #13's plan");
        var account = await scenario.AccountAsync();
        account.ShouldContain("You mentor people.");
        account.ShouldContain("You guide people.");
    }

    [Fact]
    public async Task ThreeQuickMerges_OneReviewedOnAnOlderMain_IsRefused_AfterTheOneBeforeIsApplied_ThenAManualRunAppliesIt()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var first = scenario.Branch("first", "coach", "You coach people.");
        (await scenario.PlanAsync(first, pull: 11, @base: scenario.Main)).Succeeded.ShouldBeTrue();
        var m1 = scenario.Merge(first, 11);
        (await scenario.ApplyAsync(scenario.Base, m1)).Succeeded.ShouldBeTrue();
        var second = scenario.Branch("second", "mentor", "You mentor people.");
        (await scenario.PlanAsync(second, pull: 12, @base: m1)).Succeeded.ShouldBeTrue();
        var m2 = scenario.Merge(second, 12);
        // #13 was reviewed against a main without #12: its plan cannot be what is applied after #12.
        scenario.Repo.Git("checkout", "-q", "-b", "third", m1);
        scenario.Repo.Write("personas/guide.yaml", TempProject.Manifest("guide", "Guide", "You guide people."));
        var third = scenario.Repo.Commit("guide");
        (await scenario.PlanAsync(third, pull: 13, @base: m1)).Succeeded.ShouldBeTrue();
        var m3 = scenario.Merge(third, 13);
        scenario.GitHub.ClearCalls();

        var job = await scenario.ApplyAsync(m2, m3);

        job.Succeeded.ShouldBeFalse(job.Log);
        ApplyComment(scenario.GitHub, 12).ShouldContain($"Commit {m2} was applied in [this run]({RunUrl}), with the plan reviewed here.");
        var refused = ApplyComment(scenario.GitHub, 13);
        refused.ShouldContain("**This change is merged but not applied.**");
        refused.ShouldContain("differs from the one reviewed");
        refused.ShouldContain("start this workflow by hand");
        scenario.GitHub.Calls.Single(c => c.Method == "core.setFailed").Args["message"]!.GetValue<string>().ShouldStartWith("Merged but not applied: #13 (refused).");
        var account = await scenario.AccountAsync();
        account.ShouldContain("You mentor people.");
        account.ShouldNotContain("You guide people.");

        // The maintainer starts the workflow by hand: it applies main from the last successful apply on.
        scenario.GitHub.ClearCalls();
        var manual = await scenario.ApplyAsync("", m3, eventName: "workflow_dispatch");
        manual.Succeeded.ShouldBeTrue(manual.Log);
        (await scenario.AccountAsync()).ShouldContain("You guide people.");
    }

    [Fact]
    public async Task AMaintainerAsksForAForksPlan_ItIsReadAsData_Commented_AndAcceptedAsReviewedOnMerge()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var head = scenario.PushToPullRequest("You coach people, from a fork.");
        scenario.PublishForkPullRequest(head);
        scenario.GitHub.ClearCalls();

        var job = await scenario.RequestPlanAsync();

        job.Succeeded.ShouldBeTrue(job.Log);
        job.Step("Fetch the pull request's manifests as data").Outcome.ShouldBe("success", job.Log);
        Calls(scenario.GitHub).ShouldBe(["pulls.get", "issues.listComments", "issues.createComment"]);
        var body = scenario.GitHub.Comments(Pull).ShouldHaveSingleItem().Body;
        body.ShouldMatch(@"^<!-- personaops:plan sha256=[0-9a-f]{64} -->");
        body.ShouldContain($"commit <code>{head[..12]}</code>");
        body.ShouldContain("from a fork");
        File.Exists(Path.Combine(scenario.Repo.Root, "personas", "coach.yaml")).ShouldBeFalse("the fork's files were never checked out");
        scenario.Repo.Git("status", "--porcelain", "--untracked-files=no").ShouldBeEmpty();

        // Merged as it was planned: the apply workflow finds the requested plan and applies it.
        scenario.Repo.Git("fetch", "-q", "origin", $"refs/pull/{Pull}/head");
        var merge = scenario.Merge(head);
        var apply = await scenario.ApplyAsync(scenario.Base, merge);
        apply.Succeeded.ShouldBeTrue(apply.Log);
        ApplyComment(scenario.GitHub, Pull).ShouldContain("with the plan reviewed here");
        (await scenario.AccountAsync()).ShouldContain("from a fork");
    }

    [Fact]
    public async Task AForksPlan_CannotShowItTheJobsEnvironment_AVariableOutsideASecretFieldFailsThePlan()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var head = scenario.PushToPullRequest("Tell me where you run, ${env:RUNNER_TEMP}");
        scenario.PublishForkPullRequest(head);

        var job = await scenario.RequestPlanAsync();

        job.Succeeded.ShouldBeFalse(job.Log);
        var body = scenario.GitHub.Comments(Pull).ShouldHaveSingleItem().Body;
        body.ShouldStartWith("<!-- personaops:plan failed -->");
        body.ShouldContain("PO3016", customMessage: body);
        body.ShouldNotContain("personaops-runner-");
    }

    [Fact]
    public async Task ARequestedPlanOfAClosedPullRequest_FailsAndCommentsNothing()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        scenario.PublishForkPullRequest(scenario.PushToPullRequest("You coach people."));
        scenario.GitHub.PullRequest(Pull, new JsonObject { ["number"] = Pull, ["state"] = "closed", ["head"] = new JsonObject { ["sha"] = "0" } });

        var job = await scenario.RequestPlanAsync();

        job.Succeeded.ShouldBeFalse(job.Log);
        scenario.GitHub.Calls.Single(c => c.Method == "core.setFailed").Args["message"]!.GetValue<string>().ShouldBe("#7 is closed, not open: there is nothing to plan.");
        scenario.GitHub.Comments(Pull).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("7; curl evil.example")]
    [InlineData("$(id)")]
    [InlineData("0")]
    public async Task ARequestedPlanWhoseNumberIsNoNumber_FailsBeforeAnyCall(string input)
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();

        var job = await scenario.RequestPlanAsync(input);

        job.Succeeded.ShouldBeFalse(job.Log);
        Calls(scenario.GitHub).ShouldBe(["core.setFailed"]);
        job.Step("Plan").Outcome.ShouldBe("skipped", job.Log);
    }

    [Fact]
    public async Task DriftAdopted_IntoOnePullRequest_PushedAndOpened_ThenUpdated_NeverASecond()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        await scenario.ApplyCoachOnMainAsync();
        var origin = scenario.EnsureOrigin();
        scenario.EditCoachLive("You coach people, edited in the dashboard.");
        var drift = await scenario.DriftAsync();
        drift.Outputs["status"].ShouldBe("2", drift.Log);

        var adopt = await scenario.AdoptAsync(drift);

        adopt.Succeeded.ShouldBeTrue(adopt.Log);
        scenario.GhCalls.Length.ShouldBe(2, string.Join("\n", scenario.GhCalls));
        scenario.GhCalls[0].ShouldBe("pr view personaops/adopt-drift --json state --jq .state");
        scenario.GhCalls[1].ShouldStartWith("pr create --head personaops/adopt-drift --base main --title Adopt the personas' drift from the live account --body-file ");
        var adopted = scenario.Repo.Git("--git-dir", origin, "show", "personaops/adopt-drift:personas/coach.yaml");
        adopted.ShouldContain("You coach people, edited in the dashboard.");
        scenario.Repo.Git("--git-dir", origin, "log", "-1", "--format=%an %s", "personaops/adopt-drift").Trim().ShouldBe("github-actions[bot] Adopt the live personas' drift into the manifests");
        var body = await File.ReadAllTextAsync(Path.Combine(origin, "gh-pr-body.md"));
        body.ShouldContain("personas/coach.yaml");
        body.ShouldContain("<pre>");
        body.ShouldNotContain(Key);
        File.ReadAllText(Path.Combine(scenario.Repo.Root, "personas", "coach.yaml")).ShouldNotContain("dashboard", customMessage: "main's work tree is left as it was");

        // Still drifted, differently: the same branch is pushed again and the open pull request updated.
        scenario.EditCoachLive("You coach people, edited twice.");
        var again = await scenario.AdoptAsync(await scenario.DriftAsync());
        again.Succeeded.ShouldBeTrue(again.Log);
        scenario.GhCalls.Length.ShouldBe(4);
        scenario.GhCalls[3].ShouldStartWith("pr edit personaops/adopt-drift --body-file ");
        scenario.Repo.Git("--git-dir", origin, "show", "personaops/adopt-drift:personas/coach.yaml").ShouldContain("edited twice");
    }

    [Fact]
    public async Task NoDrift_RunsNoAdoptJob()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        await scenario.ApplyCoachOnMainAsync();
        var drift = await scenario.DriftAsync();
        drift.Outputs["status"].ShouldBe("0", drift.Log);

        var adopt = await scenario.AdoptAsync(drift);

        adopt.Ran.ShouldBeFalse();
        scenario.GhCalls.ShouldBeEmpty();
    }

    [Fact]
    public async Task ApplyStoppedBeforeItSaidWhatHappened_TellsThePullRequestTheOutcomeIsUnknown_NeverThatNothingChanged()
    {
        Assert.SkipUnless(WorkflowHarness.NodeIsAvailable(), "node runs the workflows' github-script steps");
        await using var scenario = await Scenario.StartAsync();
        var head = scenario.PushToPullRequest("You coach people.");
        (await scenario.PlanAsync(head)).Succeeded.ShouldBeTrue();
        var merge = scenario.Merge(head);
        // personaops is killed (SIGKILL) while it shows the plan: the apply step ends before its report.
        var dll = Path.Combine(AppContext.BaseDirectory, "personaops.dll");
        var killedInShow = $"#!/bin/sh\nif [ \"$1\" = show ]; then kill -KILL $$; fi\nexec dotnet \"{dll}\" \"$@\"\n";

        var job = await scenario.ApplyAsync(scenario.Base, merge, personaops: killedInShow);

        job.Succeeded.ShouldBeFalse(job.Log);
        job.Step("Apply each change as reviewed").Outcome.ShouldBe("failure", job.Log);
        var report = ApplyComment(scenario.GitHub, Pull);
        report.ShouldContain("the run stopped before it said what happened to this change; see its log, since part of it may have been applied");
        report.ShouldNotContain("Nothing of it was changed.");
        scenario.GitHub.Calls.Single(c => c.Method == "core.setFailed").Args["message"]!.GetValue<string>().ShouldStartWith("Merged but not applied: #7 (outcome unknown).");
    }
}
