using System.Net;
using System.Text;
using PersonaOps.Sandbox.Api;
using PersonaOps.Sandbox.Hosting;
using PersonaOps.Sandbox.Store;

namespace PersonaOps.Sandbox.Tests;

public sealed class InProcessTests
{
    [Fact]
    public async Task TheInProcessHandler_AnswersAsTheServerDoes()
    {
        using var store = new PersonaStore(":memory:");
        var api = new SandboxApi(store, new SandboxOptions { ApiKey = "k" });
        using var client = new HttpClient(new InProcessHandler(api)) { BaseAddress = new Uri("http://sandbox.invalid") };
        client.DefaultRequestHeaders.Add("x-api-key", "k");

        var created = await client.PostAsync("/v2/personas", new StringContent("""{"persona_name":"A","system_prompt":"x"}""", Encoding.UTF8, "application/json"));
        created.StatusCode.ShouldBe(HttpStatusCode.OK);
        var list = await client.GetStringAsync("/v2/personas?persona_type=user&limit=5&page=1");
        list.ShouldContain("\"total_count\":1");

        using var request = new HttpRequestMessage(HttpMethod.Patch, "/v2/personas/p00000000000") { Content = new StringContent("[]") };
        (await client.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        client.DefaultRequestHeaders.Remove("x-api-key");
        (await client.GetAsync("/v2/personas")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ADroppedConnection_IsAnHttpRequestException()
    {
        using var store = new PersonaStore(":memory:");
        var api = new SandboxApi(store, new SandboxOptions { ApiKey = "k", Faults = new FaultOptions { DropAfterCommitRate = 1 } });
        using var client = new HttpClient(new InProcessHandler(api)) { BaseAddress = new Uri("http://sandbox.invalid") };
        client.DefaultRequestHeaders.Add("x-api-key", "k");
        await Should.ThrowAsync<HttpRequestException>(() => client.PostAsync("/v2/personas", new StringContent("""{"system_prompt":"x"}""")));
        store.List("user", 10, 0).Total.ShouldBe(1);
    }
}
