using System.Net;

namespace PersonaOps.Sandbox.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task RateLimit_Is429_WithRetryAfter()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { Faults = new FaultOptions { RateLimitRate = 1, RetryAfterSeconds = 2 } });
        var (status, _, response) = await sandbox.SendAsync(HttpMethod.Get, "/v2/personas");
        status.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task ErrorRate_Is500_AndStoresNothing()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { Faults = new FaultOptions { ErrorRate = 1 } });
        (await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", """{"system_prompt":"x"}""")).Status.ShouldBe(HttpStatusCode.InternalServerError);
        sandbox.Api.Store.List("user", 10, 0).Total.ShouldBe(0);
    }

    [Fact]
    public async Task DropAfterCommit_StoresTheChange_ButTheClientSeesNoAnswer()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { Faults = new FaultOptions { DropAfterCommitRate = 1 } });
        await Should.ThrowAsync<HttpRequestException>(() => sandbox.SendAsync(HttpMethod.Post, "/v2/personas", """{"persona_name":"Ghost","system_prompt":"x"}"""));
        var stored = sandbox.Api.Store.List("user", 10, 0);
        stored.Total.ShouldBe(1);
        stored.Page[0].Body["persona_name"]!.GetValue<string>().ShouldBe("Ghost");
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?persona_type=user")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Faults_AreDeterministic_ForASeed()
    {
        async Task<string> Run()
        {
            await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { Faults = new FaultOptions { ErrorRate = 0.3, RateLimitRate = 0.3, Seed = 42 } });
            var statuses = new List<int>();
            for (var i = 0; i < 30; i++)
            {
                statuses.Add((int)(await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas")).Status);
            }

            return string.Join(",", statuses);
        }

        var first = await Run();
        (await Run()).ShouldBe(first);
        first.ShouldContain("500");
        first.ShouldContain("429");
        first.ShouldContain("200");
    }

    [Fact]
    public async Task Latency_IsAddedToEveryRequest()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { Faults = new FaultOptions { LatencyMs = 120 } });
        var started = System.Diagnostics.Stopwatch.StartNew();
        await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas");
        started.ElapsedMilliseconds.ShouldBeGreaterThanOrEqualTo(110);
    }
}
