using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Sandbox;
using PersonaOps.Sandbox.Api;

namespace PersonaOps.Tavus.Tests;

public sealed class TavusClientTests
{
    private static JsonObject Persona(string name) => new() { ["persona_name"] = name, ["system_prompt"] = "You help." };

    private static readonly HashSet<string> NoIds = [];

    [Fact]
    public async Task List_ReadsEveryPage_InParallel_AndOnlyTheAccountsOwn()
    {
        await using var harness = await ClientHarness.StartAsync(configure: c => c with { PageSize = 7 });
        var created = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            created.Add((await harness.Client.CreatePersonaAsync(Persona($"P{i}"), NoIds)).Id);
        }

        var listed = await harness.Client.ListUserPersonasAsync();
        listed.Select(PersonaOps.Core.Kinds.PersonaKind.Identity.Id).ShouldBe(created);
    }

    [Fact]
    public async Task List_ThatDisagreesWithItsTotal_IsAnError_NotPartialData()
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, """{"data":[{"persona_id":"p1"}],"total_count":3}"""));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("incomplete: total_count is 3 but the list ends at page 1 with 1 persona;");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>oops</html>")]
    [InlineData("""{"items":[]}""")]
    public async Task List_WithAMalformedAnswer_IsAClearError(string body)
    {
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "text/html") });
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            (await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync())).Message.ShouldContain("/v2/personas");
        }
    }

    [Fact]
    public async Task Get_UnwrapsTheDocumentedDataWrapper()
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, """{"data":[{"persona_id":"p1","persona_name":"A"}]}"""));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            (await client.GetPersonaAsync("p1"))!["persona_name"]!.GetValue<string>().ShouldBe("A");
        }
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    public async Task Get_OfAnUnknownId_IsNull(int status)
    {
        await using var harness = await ClientHarness.StartAsync(new SandboxOptions { ApiKey = "test-key", UnknownIdStatus = status });
        (await harness.Client.GetPersonaAsync("p00000000000")).ShouldBeNull();
        (await harness.Client.DeletePersonaAsync("p00000000000")).ShouldBeFalse();
    }

    [Fact]
    public async Task WrongKey_IsA401_ThatNamesTheVariable_AndNotTheKey()
    {
        await using var harness = await ClientHarness.StartAsync(configure: c => c with { ApiKey = "wrong-CANARY" });
        var ex = await Should.ThrowAsync<TavusApiException>(() => harness.Client.ListUserPersonasAsync());
        ex.Status.ShouldBe(401);
        ex.Message.ShouldContain("Invalid access token");
        ex.Message.ShouldContain("TAVUS_API_KEY");
        ex.Message.ShouldNotContain("CANARY");
    }

    [Fact]
    public async Task Patch_ReportsAppliedAndNotModified()
    {
        await using var harness = await ClientHarness.StartAsync();
        var id = (await harness.Client.CreatePersonaAsync(Persona("A"), NoIds)).Id;
        var patch = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse("/persona_name"), "B")]);
        (await harness.Client.PatchPersonaAsync(id, patch, force: false)).NotModified.ShouldBeFalse();
        (await harness.Client.PatchPersonaAsync(id, patch, force: false)).ShouldBe(new PatchOutcome(NotModified: true, Persona: null));
        (await harness.Client.GetPersonaAsync(id))!["persona_name"]!.GetValue<string>().ShouldBe("B");
    }

    [Fact]
    public async Task Patch_WithMakerChanges_IsReported_AndForceOverrides()
    {
        await using var harness = await ClientHarness.StartAsync(new SandboxOptions { ApiKey = "test-key", MakerDrafts = true });
        var id = (await harness.Client.CreatePersonaAsync(Persona("A"), NoIds)).Id;
        harness.Store.SetMakerDraft(id, true);
        var patch = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse("/persona_name"), "B")]);
        var ex = await Should.ThrowAsync<MakerChangesException>(() => harness.Client.PatchPersonaAsync(id, patch, force: false));
        ex.Message.ShouldContain("--force");
        (await harness.Client.PatchPersonaAsync(id, patch, force: true)).NotModified.ShouldBeFalse();
    }

    [Fact]
    public async Task Patch_ThatTavusRejects_IsAnErrorWithItsMessage()
    {
        await using var harness = await ClientHarness.StartAsync();
        var id = (await harness.Client.CreatePersonaAsync(Persona("A"), NoIds)).Id;
        var patch = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse("/layers/tts/tts_engine"), "cartesia")]);
        var ex = await Should.ThrowAsync<TavusApiException>(() => harness.Client.PatchPersonaAsync(id, patch, force: false));
        ex.Status.ShouldBe(422);
        ex.Message.ShouldContain("Invalid JSON patch format");
    }

    [Fact]
    public async Task Delete_RemovesThePersona()
    {
        await using var harness = await ClientHarness.StartAsync();
        var id = (await harness.Client.CreatePersonaAsync(Persona("A"), NoIds)).Id;
        (await harness.Client.DeletePersonaAsync(id)).ShouldBeTrue();
        (await harness.Client.GetPersonaAsync(id)).ShouldBeNull();
    }

    [Fact]
    public async Task RateLimitsAndServerErrors_AreRetried_UntilEverythingSucceeds()
    {
        var faults = new FaultOptions { ErrorRate = 0.2, RateLimitRate = 0.2, RetryAfterSeconds = 0, Seed = 7 };
        await using var harness = await ClientHarness.StartAsync(new SandboxOptions { ApiKey = "test-key", Faults = faults }, c => c with { PageSize = 5 });
        var ids = new HashSet<string>();
        for (var i = 0; i < 25; i++)
        {
            ids.Add((await harness.Client.CreatePersonaAsync(Persona($"P{i}"), ids)).Id);
        }

        ids.Count.ShouldBe(25);
        (await harness.Client.ListUserPersonasAsync()).Count.ShouldBe(25);
        harness.Store.List("user", 100, 0).Total.ShouldBe(25);
    }

    [Fact]
    public async Task ACreateWhoseAnswerIsLost_IsFoundByListing_NeverDuplicated()
    {
        var faults = new FaultOptions { DropAfterCommitRate = 1 };
        await using var harness = await ClientHarness.StartAsync(new SandboxOptions { ApiKey = "test-key", Faults = faults });
        var created = await harness.Client.CreatePersonaAsync(Persona("Once"), NoIds);
        created.RecoveredAfterUnknownOutcome.ShouldBeTrue();
        var stored = harness.Store.List("user", 10, 0);
        stored.Total.ShouldBe(1);
        stored.Page[0].Id.ShouldBe(created.Id);
    }

    [Fact]
    public async Task Redirects_AreNotFollowed_SoTheKeyStaysHome()
    {
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.TemporaryRedirect) { Headers = { Location = new Uri("http://127.0.0.2:1/steal") } });
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("does not follow redirects");
            handler.Requests.Count.ShouldBe(1);
        }
    }

    [Fact]
    public async Task AServerThatNeverAnswers_TimesOut_WithinTheBound()
    {
        var handler = new HangingHandler();
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { AttemptTimeout = TimeSpan.FromMilliseconds(100), MaxRetries = 1 });
        using (owner)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("no complete answer within the attempt timeout (0.1 s");
            started.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        }
    }

    [Theory]
    [InlineData(SecretReadBack.Echo, DefaultsReadBack.Keep)]
    [InlineData(SecretReadBack.Mask, DefaultsReadBack.Keep)]
    [InlineData(SecretReadBack.Omit, DefaultsReadBack.Omit)]
    public async Task TheClient_WorksAgainstEachReadBackSetting(SecretReadBack secrets, DefaultsReadBack defaults)
    {
        await using var harness = await ClientHarness.StartAsync(new SandboxOptions { ApiKey = "test-key", Secrets = secrets, Defaults = defaults });
        var body = Persona("Keyed");
        body["pipeline_mode"] = "full";
        body["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["api_key"] = "sk-CANARY" } };
        var id = (await harness.Client.CreatePersonaAsync(body, NoIds)).Id;
        var read = (await harness.Client.GetPersonaAsync(id))!;
        read["layers"]!["llm"]!["model"]!.GetValue<string>().ShouldBe("m");
        (read["pipeline_mode"] is null).ShouldBe(defaults == DefaultsReadBack.Omit);
        read["layers"]!["llm"]!["api_key"]?.GetValue<string>().ShouldBe(secrets switch { SecretReadBack.Echo => "sk-CANARY", SecretReadBack.Mask => "****", _ => null });
        (await harness.Client.ListUserPersonasAsync()).Single()["persona_name"]!.GetValue<string>().ShouldBe("Keyed");
    }

    private static TavusConnection Connection(HttpMessageHandler handler) => new()
    {
        BaseAddress = new Uri("http://tavus.test"),
        ApiKey = "k",
        PrimaryHandler = () => handler,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxRetries = 2,
    };

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private sealed class HangingHandler : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
