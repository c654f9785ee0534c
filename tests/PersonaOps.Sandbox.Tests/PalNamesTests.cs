using System.Net;
using System.Text.Json.Nodes;
using PersonaOps.Core.Kinds;
using PersonaOps.Sandbox.Api;

namespace PersonaOps.Sandbox.Tests;

/// <summary>The --pal-names switch: reads in Tavus's PAL-era names, for all personas, some, or both names at once; the store keeps one shape.</summary>
public sealed class PalNamesTests
{
    private const string Coach = """{"persona_name":"Coach","system_prompt":"You coach.","default_replica_id":"r665388ec672","layers":{"conversational_flow":{"replica_interruptibility":"low"}}}""";

    private static string Id(JsonNode? created) => PersonaKind.Identity.Id(PersonaKind.Identity.Normalize(created!.AsObject()))!;

    [Fact]
    public async Task All_AnswersEveryReadWithPalEraNames_AndPatchStillWorks()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { PalNames = PalNames.All });
        var (status, created, _) = await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", Coach);
        status.ShouldBe(HttpStatusCode.OK);
        created!.AsObject().ContainsKey("persona_id").ShouldBeFalse();
        var id = created["pal_id"]!.GetValue<string>();
        created["pal_name"]!.GetValue<string>().ShouldBe("Coach");

        var (_, got, _) = await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}");
        var persona = got!.AsObject();
        (persona["pal_id"]!.GetValue<string>(), persona["pal_name"]!.GetValue<string>(), persona["pal_type"]!.GetValue<string>(), persona["default_face_id"]!.GetValue<string>())
            .ShouldBe((id, "Coach", "user", "r665388ec672"));
        persona["layers"]!["conversational_flow"]!["pal_interruptibility"]!.GetValue<string>().ShouldBe("low");
        foreach (var legacy in new[] { "persona_id", "persona_name", "persona_type", "default_replica_id" })
        {
            persona.ContainsKey(legacy).ShouldBeFalse(legacy);
        }

        var (_, list, _) = await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?persona_type=user");
        list!["data"]!.AsArray().Single()!["pal_id"]!.GetValue<string>().ShouldBe(id);

        // The store keeps the legacy shape, which PATCH paths address.
        sandbox.Api.Store.Get(id)!.Body["persona_name"]!.GetValue<string>().ShouldBe("Coach");
        var (patched, _, _) = await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}", """[{"op":"replace","path":"/persona_name","value":"Tutor"}]""");
        patched.ShouldBe(HttpStatusCode.OK);
        sandbox.Api.Store.Get(id)!.Body["persona_name"]!.GetValue<string>().ShouldBe("Tutor");
    }

    [Fact]
    public async Task Mixed_AnswersSomePersonasInEachVocabulary_ByTheirId()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { PalNames = PalNames.Mixed });
        var ids = new List<string>();
        for (var i = 0; i < 64 && (!ids.Any(SandboxApi.ReadsAsPal) || ids.All(SandboxApi.ReadsAsPal)); i++)
        {
            ids.Add(Id((await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", Coach)).Body));
        }

        var (_, list, _) = await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?persona_type=user&limit=100");
        var data = list!["data"]!.AsArray().Select(p => p!.AsObject()).ToArray();
        data.Length.ShouldBe(ids.Count);
        data.ShouldContain(p => p.ContainsKey("pal_id") && !p.ContainsKey("persona_id"));
        data.ShouldContain(p => p.ContainsKey("persona_id") && !p.ContainsKey("pal_id"));
        foreach (var persona in data)
        {
            var id = PersonaKind.Identity.Id(PersonaKind.Identity.Normalize(persona))!;
            persona.ContainsKey("pal_id").ShouldBe(SandboxApi.ReadsAsPal(id));
        }
    }

    [Fact]
    public async Task Both_AnswersWithBothNames_WhichNormaliseToOne()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { PalNames = PalNames.Both });
        var id = Id((await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", Coach)).Body);
        var persona = (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!.AsObject();
        (persona["persona_id"]!.GetValue<string>(), persona["pal_id"]!.GetValue<string>()).ShouldBe((id, id));
        (persona["persona_name"]!.GetValue<string>(), persona["pal_name"]!.GetValue<string>()).ShouldBe(("Coach", "Coach"));
        var normalized = PersonaKind.Identity.Normalize(persona);
        normalized.ContainsKey("pal_id").ShouldBeFalse();
        normalized["layers"]!["conversational_flow"]!.AsObject().ContainsKey("pal_interruptibility").ShouldBeFalse();
    }
}
