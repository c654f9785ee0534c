using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Kinds;
using PersonaOps.Sandbox;

namespace PersonaOps.Tavus.Tests;

/// <summary>The client is the edge where PAL-era names end: every read (list pages, GET, create's answer) comes out in one vocabulary.</summary>
public sealed class PalNamesClientTests
{
    private static readonly HashSet<string> NoIds = [];

    private static JsonObject Persona(string name) => new()
    {
        ["persona_name"] = name,
        ["system_prompt"] = "You help.",
        ["default_replica_id"] = "r665388ec672",
        ["layers"] = new JsonObject { ["conversational_flow"] = new JsonObject { ["replica_interruptibility"] = "high" } },
    };

    [Theory]
    [InlineData(PalNames.All)]
    [InlineData(PalNames.Mixed)]
    [InlineData(PalNames.Both)]
    public async Task EveryRead_IsInTheLegacyVocabulary(PalNames palNames)
    {
        await using var harness = await ClientHarness.StartAsync(new SandboxOptions { ApiKey = "test-key", PalNames = palNames }, c => c with { PageSize = 3 });
        var created = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            created.Add((await harness.Client.CreatePersonaAsync(Persona($"P{i}"), NoIds)).Id);
        }

        created.ShouldAllBe(id => harness.Store.Get(id) != null, "create's answer (pal_id in the PAL era) gives the id");
        var listed = await harness.Client.ListUserPersonasAsync();
        listed.Select(PersonaKind.Identity.Id).ShouldBe(created);
        foreach (var persona in listed.Append((await harness.Client.GetPersonaAsync(created[0]))!))
        {
            persona.ContainsKey("pal_id").ShouldBeFalse();
            persona.ContainsKey("pal_name").ShouldBeFalse();
            persona.ContainsKey("default_face_id").ShouldBeFalse();
            persona["persona_type"]!.GetValue<string>().ShouldBe("user");
            persona["default_replica_id"]!.GetValue<string>().ShouldBe("r665388ec672");
            persona["layers"]!["conversational_flow"]!["replica_interruptibility"]!.GetValue<string>().ShouldBe("high");
        }
    }

    [Fact]
    public async Task ACreateWhoseAnswerIsLost_IsFoundByListing_InPalEraNames_NeverDuplicated()
    {
        var options = new SandboxOptions { ApiKey = "test-key", PalNames = PalNames.All, Faults = new FaultOptions { DropAfterCommitRate = 1 } };
        await using var harness = await ClientHarness.StartAsync(options);
        var created = await harness.Client.CreatePersonaAsync(Persona("Once"), NoIds);
        created.RecoveredAfterUnknownOutcome.ShouldBeTrue();
        harness.Store.List("user", 10, 0).Page.Single().Id.ShouldBe(created.Id);
    }

    [Theory]
    [InlineData("""{"data":[{"persona_id":"p1","pal_id":"p2","persona_name":"Coach"}],"total_count":1}""", "persona_id (\"p1\") and pal_id (\"p2\")")]
    [InlineData("""{"data":[{"persona_id":"p1","persona_name":"Coach","pal_name":"Tutor"}],"total_count":1}""", "persona_name (\"Coach\") and pal_name (\"Tutor\")")]
    public async Task AListingWhoseNamesDisagree_IsAnError_NotAGuess(string page, string expected)
    {
        var persona = JsonNode.Parse(page)!["data"]![0]!.ToJsonString();
        var handler = new FakeHandler(request => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent(request.RequestUri!.AbsolutePath == "/v2/personas" ? page : persona, Encoding.UTF8, "application/json"),
        });
        var (client, owner) = TavusServices.CreateClient(new TavusConnection { BaseAddress = new Uri("http://tavus.test"), ApiKey = "k", PrimaryHandler = () => handler, MaxRetries = 0 });
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain(expected);
            ex.Message.ShouldContain("nothing was planned from it");
            (await Should.ThrowAsync<TavusApiException>(() => client.GetPersonaAsync("p1"))).Message.ShouldContain("GET /v2/personas/p1");
        }
    }
}
