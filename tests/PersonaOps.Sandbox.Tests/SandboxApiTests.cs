using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PersonaOps.Sandbox.Tests;

public sealed partial class SandboxApiTests
{
    private const string Coach = """{"persona_name":"Coach","system_prompt":"You coach.","default_replica_id":"r665388ec672","layers":{"llm":{"model":"tavus-gpt-oss","api_key":"sk-CANARY"}}}""";

    [GeneratedRegex("^p[0-9a-f]{11}$")]
    private static partial Regex PersonaId();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex Timestamp();

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task EveryRoute_NeedsTheApiKey(string? key)
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        sandbox.Client.DefaultRequestHeaders.Remove("x-api-key");
        if (key is not null)
        {
            sandbox.Client.DefaultRequestHeaders.Add("x-api-key", key);
        }

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/v2/personas"), (HttpMethod.Post, "/v2/personas"), (HttpMethod.Get, "/v2/replicas"), (HttpMethod.Delete, "/v2/personas/p1af207b8189") })
        {
            var (status, body, _) = await sandbox.SendAsync(method, path, method == HttpMethod.Post ? Coach : null);
            status.ShouldBe(HttpStatusCode.Unauthorized);
            body!["message"]!.GetValue<string>().ShouldBe("Invalid access token");
        }
    }

    [Fact]
    public async Task Create_Returns200_WithATavusStyleIdAndTimestamp()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", Coach);
        status.ShouldBe(HttpStatusCode.OK);
        body!["persona_id"]!.GetValue<string>().ShouldMatch(PersonaId().ToString());
        body["persona_name"]!.GetValue<string>().ShouldBe("Coach");
        body["created_at"]!.GetValue<string>().ShouldMatch(Timestamp().ToString());
    }

    [Fact]
    public async Task Create_WithoutASystemPrompt_Is400_UnlessEcho()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", """{"persona_name":"X"}""");
        status.ShouldBe(HttpStatusCode.BadRequest);
        body!["error"]!.GetValue<string>().ShouldBe("Bad Request. {'system_prompt': ['system_prompt is required unless pipeline_mode is echo.']}");
        (await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", """{"pipeline_mode":"echo"}""")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Create_WithAnUnknownReplica_Is400InvalidReplicaUuid()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", """{"system_prompt":"x","default_replica_id":"r000000000000"}""");
        status.ShouldBe(HttpStatusCode.BadRequest);
        body!["error"]!.GetValue<string>().ShouldBe("Invalid replica_uuid");
    }

    [Fact]
    public async Task ExtraReplicas_AreAccepted()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { ExtraReplicas = ["r123456789ab"] });
        await sandbox.CreateAsync("""{"system_prompt":"x","default_replica_id":"r123456789ab"}""");
    }

    [Theory]
    [InlineData("""{"system_prompt":"x","layers":{"llm":{"speculative_inference":"yes"}}}""", "layers.llm.speculative_inference")]
    [InlineData("""{"system_prompt":5}""", "system_prompt")]
    [InlineData("""{"system_prompt":"x","pipeline_mode":"turbo"}""", "pipeline_mode")]
    public async Task Create_WithWrongTypes_Is400_NamingTheField(string json, string field)
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", json);
        status.ShouldBe(HttpStatusCode.BadRequest);
        body!["error"]!.GetValue<string>().ShouldStartWith($"Bad Request. {{'{field}':");
    }

    [Theory]
    [InlineData("not json", "Bad Request. The body is not valid JSON.")]
    [InlineData("[1,2]", "Bad Request. The body must be a JSON object.")]
    [InlineData("", "Bad Request. The body is empty.")]
    public async Task Create_WithABadBody_Is400(string json, string error)
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", json);
        status.ShouldBe(HttpStatusCode.BadRequest);
        body!["error"]!.GetValue<string>().ShouldBe(error);
    }

    [Fact]
    public async Task HugeBodies_Are413_NotACrash()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { MaxBodyBytes = 1024 });
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Post, "/v2/personas", $$"""{"system_prompt":"{{new string('x', 4096)}}"}""");
        status.ShouldBe((HttpStatusCode)413);
        body!["error"].ShouldNotBeNull();
    }

    [Fact]
    public async Task UnknownFields_AreStoredByDefault_AndRefusedWhenStrict()
    {
        await using (var lenient = await LiveSandbox.StartAsync())
        {
            var id = await lenient.CreateAsync("""{"system_prompt":"x","brand_new_field":{"a":1}}""");
            (await lenient.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!["brand_new_field"]!["a"]!.GetValue<int>().ShouldBe(1);
        }

        await using var strict = await LiveSandbox.StartAsync(new SandboxOptions { StrictFields = true });
        var (status, body, _) = await strict.SendAsync(HttpMethod.Post, "/v2/personas", """{"system_prompt":"x","brand_new_field":1}""");
        status.ShouldBe(HttpStatusCode.BadRequest);
        body!["error"]!.GetValue<string>().ShouldBe("Bad Request. {'brand_new_field': ['Unknown field.']}");
    }

    [Fact]
    public async Task Get_ReturnsTheBarePersona_AndUnknownIdsAre400()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var id = await sandbox.CreateAsync(Coach);
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}");
        status.ShouldBe(HttpStatusCode.OK);
        body!["persona_id"]!.GetValue<string>().ShouldBe(id);
        body["system_prompt"]!.GetValue<string>().ShouldBe("You coach.");
        body["layers"]!["llm"]!["model"]!.GetValue<string>().ShouldBe("tavus-gpt-oss");
        body["updated_at"]!.GetValue<string>().ShouldMatch(Timestamp().ToString());
        body["data"].ShouldBeNull();

        var (missing, error, _) = await sandbox.SendAsync(HttpMethod.Get, "/v2/personas/p00000000000");
        missing.ShouldBe(HttpStatusCode.BadRequest);
        error!["error"]!.GetValue<string>().ShouldBe("Invalid persona_id");
    }

    [Fact]
    public async Task UnknownIds_Are404_WhenSwitched()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { UnknownIdStatus = 404 });
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas/p00000000000")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await sandbox.SendAsync(HttpMethod.Patch, "/v2/personas/p00000000000", "[]")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await sandbox.SendAsync(HttpMethod.Delete, "/v2/personas/p00000000000")).Status.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_PagesFromOne_InCreationOrder_WithTheTotal_AndFiltersByType()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            ids.Add(await sandbox.CreateAsync($$"""{"persona_name":"P{{i}}","system_prompt":"x"}"""));
        }

        var seen = new List<string>();
        for (var page = 1; page <= 3; page++)
        {
            var (status, body, _) = await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas?persona_type=user&limit=10&page={page}");
            status.ShouldBe(HttpStatusCode.OK);
            body!["total_count"]!.GetValue<int>().ShouldBe(25);
            seen.AddRange(body["data"]!.AsArray().Select(p => p!["persona_id"]!.GetValue<string>()));
        }

        seen.ShouldBe(ids);
        var all = (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?limit=100")).Body!;
        all["total_count"]!.GetValue<int>().ShouldBe(29);
        all["data"]!.AsArray().Select(p => p!["persona_id"]!.GetValue<string>()).Take(4)
            .ShouldBe(["p1af207b8189", "paaee96e4f87", "pdac61133ac5", "pcb7a34da5fe"]);
        var system = (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?persona_type=system")).Body!;
        system["total_count"]!.GetValue<int>().ShouldBe(4);
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas")).Body!["data"]!.AsArray().Count.ShouldBe(10);
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?page=0")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?limit=abc")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Patch_AppliesRfc6902_Returns200WithThePersona_AndBumpsUpdatedAt()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var id = await sandbox.CreateAsync(Coach);
        var before = (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!;
        await Task.Delay(5);
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}",
            """[{"op":"replace","path":"/persona_name","value":"Head Coach"},{"op":"add","path":"/layers/tts","value":{"tts_engine":"cartesia"}},{"op":"remove","path":"/layers/llm/model"}]""");
        status.ShouldBe(HttpStatusCode.OK, body?.ToJsonString());
        body!["persona_name"]!.GetValue<string>().ShouldBe("Head Coach");
        body["layers"]!["tts"]!["tts_engine"]!.GetValue<string>().ShouldBe("cartesia");
        body["layers"]!["llm"]!["model"].ShouldBeNull();
        string.CompareOrdinal(body["updated_at"]!.GetValue<string>(), before["updated_at"]!.GetValue<string>()).ShouldBeGreaterThan(0);
        body["created_at"]!.GetValue<string>().ShouldBe(before["created_at"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""[{"op":"replace","path":"/persona_name","value":"Coach"}]""")]
    [InlineData("""[{"op":"add","path":"/pipeline_mode","value":"full"}]""")]
    [InlineData("""[{"op":"add","path":"/layers/llm/speculative_inference","value":true}]""")]
    [InlineData("""[]""")]
    public async Task Patch_ThatChangesNothing_Is304WithoutABody(string patch)
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var id = await sandbox.CreateAsync(Coach);
        var (status, body, response) = await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}", patch);
        status.ShouldBe(HttpStatusCode.NotModified);
        body.ShouldBeNull();
        response.Content.Headers.ContentLength.GetValueOrDefault().ShouldBe(0);
    }

    [Theory]
    [InlineData("""{"op":"replace"}""")]
    [InlineData("""[{"op":"frob","path":"/a"}]""")]
    [InlineData("""[{"op":"replace","path":"/layers/tts/tts_engine","value":"cartesia"}]""")]
    [InlineData("""[{"op":"remove","path":"/greeting"}]""")]
    [InlineData("""[{"op":"test","path":"/persona_name","value":"Someone else"}]""")]
    [InlineData("""not json""")]
    public async Task Patch_ThatIsMalformedOrFails_Is422_AndChangesNothing(string patch)
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var id = await sandbox.CreateAsync(Coach);
        var before = (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!.ToJsonString();
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}", patch);
        status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        body!["message"]!.GetValue<string>().ShouldBe("Invalid JSON patch format");
        (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!.ToJsonString().ShouldBe(before);
    }

    [Fact]
    public async Task Patch_IsAtomic_WhenALaterOperationFails()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var id = await sandbox.CreateAsync(Coach);
        var (status, _, _) = await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}",
            """[{"op":"replace","path":"/persona_name","value":"Changed"},{"op":"replace","path":"/nope","value":1}]""");
        status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!["persona_name"]!.GetValue<string>().ShouldBe("Coach");
    }

    [Fact]
    public async Task Patch_WhoseResultIsInvalid_Is400()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var id = await sandbox.CreateAsync(Coach);
        (await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}", """[{"op":"remove","path":"/system_prompt"}]""")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}", """[{"op":"replace","path":"/layers/llm/model","value":7}]""")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task SystemPersonas_AreReadOnly()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        (await sandbox.SendAsync(HttpMethod.Patch, "/v2/personas/p1af207b8189", """[{"op":"replace","path":"/persona_name","value":"Mine"}]""")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await sandbox.SendAsync(HttpMethod.Delete, "/v2/personas/p1af207b8189")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task MakerDrafts_Give409_UnlessForced()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { MakerDrafts = true });
        var id = await sandbox.CreateAsync(Coach);
        sandbox.Api.Store.SetMakerDraft(id, true);
        const string patch = """[{"op":"replace","path":"/persona_name","value":"Forced"}]""";
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}", patch);
        status.ShouldBe(HttpStatusCode.Conflict);
        body!["conflict"]!.GetValue<string>().ShouldBe("maker_changes");

        (status, body, _) = await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}?force=true", patch);
        status.ShouldBe(HttpStatusCode.OK);
        body!["discarded_maker_changes"]!.GetValue<bool>().ShouldBeTrue();
        (await sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}", """[{"op":"replace","path":"/persona_name","value":"Again"}]""")).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Delete_Is204_AndTheIdIsUnknownAfterwards()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var id = await sandbox.CreateAsync(Coach);
        var (status, body, _) = await sandbox.SendAsync(HttpMethod.Delete, $"/v2/personas/{id}");
        status.ShouldBe(HttpStatusCode.NoContent);
        body.ShouldBeNull();
        (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await sandbox.SendAsync(HttpMethod.Delete, $"/v2/personas/{id}")).Status.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Replicas_HonourReplicaIdsAndModelName_AndCarryThumbnailAndModel_AsTheOfficialDocumentSays()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { ExtraReplicas = ["r123456789ab"] });

        // replica_ids: comma-separated, spaces and empty entries ignored, unknown ids match nothing; total_count counts the filtered set.
        var picked = (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas?replica_ids=r90bbd427f71,%20rc9cff32ceba,,rnope")).Body!;
        picked["data"]!.AsArray().Select(r => r!["replica_id"]!.GetValue<string>()).ShouldBe(["r90bbd427f71", "rc9cff32ceba"], ignoreOrder: true);
        picked["total_count"]!.GetValue<int>().ShouldBe(2);

        // Every replica has a model_name and a thumbnail_video_url, listed or read alone.
        var all = (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas?limit=100")).Body!["data"]!.AsArray();
        all.ShouldAllBe(r => r!["model_name"]!.GetValue<string>().StartsWith("phoenix-", StringComparison.Ordinal));
        all.ShouldAllBe(r => r!["thumbnail_video_url"]!.GetValue<string>().StartsWith("https://", StringComparison.Ordinal));
        all.Single(r => r!["replica_id"]!.GetValue<string>() == "rc9cff32ceba")!["model_name"]!.GetValue<string>().ShouldBe("phoenix-4.5", "the docs name Anna - Casual a phoenix-4.5 replica");
        var one = (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas/r123456789ab")).Body!;
        one["model_name"]!.GetValue<string>().ShouldBe("phoenix-4", "a replica made without model_name is trained on phoenix-4, the documented default");
        one["thumbnail_video_url"].ShouldNotBeNull();
        one.AsObject().ContainsKey("updated_at").ShouldBeTrue();
        one.AsObject().ContainsKey("error_message").ShouldBeTrue();

        // model_name: only that model's replicas, counted as such, and combined with the other filters.
        var model = (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas?model_name=phoenix-4&limit=100")).Body!;
        model["data"]!.AsArray().Select(r => r!["replica_id"]!.GetValue<string>()).ShouldBe(["r123456789ab"]);
        model["total_count"]!.GetValue<int>().ShouldBe(1);
        var both = (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas?model_name=phoenix-4.5&replica_ids=rc9cff32ceba,r123456789ab&verbose=true")).Body!;
        both["data"]!.AsArray().Select(r => (r!["replica_id"]!.GetValue<string>(), r["replica_type"]!.GetValue<string>())).ShouldBe([("rc9cff32ceba", "system")]);
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas?model_name=phoenix-9")).Body!["total_count"]!.GetValue<int>().ShouldBe(0);

        // Paging applies after the filters.
        var paged = (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas?replica_ids=r7bc3db0d581,rf25acd9e3f5,re0eae1fbe11&limit=2&page=2")).Body!;
        paged["data"]!.AsArray().Count.ShouldBe(1);
        paged["total_count"]!.GetValue<int>().ShouldBe(3);
    }

    [Fact]
    public async Task Replicas_ListTavussStockReplicas_PagedLikePersonas()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var body = (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas?limit=100")).Body!;
        var ids = body["data"]!.AsArray().Select(r => r!["replica_id"]!.GetValue<string>()).ToArray();
        ids.ShouldContain("r665388ec672");
        ids.ShouldContain("rf4703150052");
        body["total_count"]!.GetValue<int>().ShouldBe(ids.Length);
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas?limit=5&page=2")).Body!["data"]!.AsArray().Count.ShouldBe(5);
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas/r665388ec672")).Body!["replica_id"]!.GetValue<string>().ShouldBe("r665388ec672");
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/replicas/rnope")).Body!["error"]!.GetValue<string>().ShouldBe("Invalid replica_id");
    }

    [Theory]
    [InlineData(SecretReadBack.Echo, "sk-CANARY")]
    [InlineData(SecretReadBack.Mask, "****")]
    [InlineData(SecretReadBack.Omit, null)]
    public async Task Secrets_ReadBackAsSwitched(SecretReadBack mode, string? expected)
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { Secrets = mode });
        var id = await sandbox.CreateAsync("""{"system_prompt":"x","layers":{"llm":{"api_key":"sk-CANARY","headers":{"Authorization":"Bearer CANARY"}}}}""");
        var body = (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!;
        var listed = (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?persona_type=user")).Body!["data"]![0]!;
        foreach (var persona in new[] { body, listed })
        {
            persona["layers"]!["llm"]!["api_key"]?.GetValue<string>().ShouldBe(expected);
            if (mode != SecretReadBack.Echo)
            {
                persona.ToJsonString().ShouldNotContain("CANARY");
            }
        }
    }

    [Fact]
    public async Task Defaults_AreOmittedOnReadBack_WhenSwitched()
    {
        await using var sandbox = await LiveSandbox.StartAsync(new SandboxOptions { Defaults = DefaultsReadBack.Omit });
        var id = await sandbox.CreateAsync("""{"system_prompt":"x","pipeline_mode":"full","layers":{"llm":{"speculative_inference":true,"model":"m"},"stt":{"stt_engine":"tavus-auto"}}}""");
        var body = (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!;
        body["pipeline_mode"].ShouldBeNull();
        body["layers"]!["llm"]!["speculative_inference"].ShouldBeNull();
        body["layers"]!["llm"]!["model"]!.GetValue<string>().ShouldBe("m");
        body["layers"]!["stt"]!.AsObject().Count.ShouldBe(0);
    }

    [Fact]
    public async Task Personas_SurviveARestart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "personaops-sandbox-" + Guid.NewGuid().ToString("N"));
        var first = await LiveSandbox.StartAsync(directory: directory);
        var id = await first.CreateAsync(Coach);
        await first.StopAsync(deleteFiles: false);

        await using var second = await LiveSandbox.StartAsync(directory: directory);
        var (status, body, _) = await second.SendAsync(HttpMethod.Get, $"/v2/personas/{id}");
        status.ShouldBe(HttpStatusCode.OK);
        body!["persona_name"]!.GetValue<string>().ShouldBe("Coach");
        (await second.SendAsync(HttpMethod.Get, "/v2/personas?persona_type=user")).Body!["total_count"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public async Task ConcurrentCreates_LoseNoWrite()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var ids = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => sandbox.CreateAsync($$"""{"persona_name":"C{{i}}","system_prompt":"x"}""")));
        ids.Distinct().Count().ShouldBe(60);
        var body = (await sandbox.SendAsync(HttpMethod.Get, "/v2/personas?persona_type=user&limit=100")).Body!;
        body["total_count"]!.GetValue<int>().ShouldBe(60);
        body["data"]!.AsArray().Select(p => p!["persona_id"]!.GetValue<string>()).Order().ShouldBe(ids.Order());
    }

    [Fact]
    public async Task ConcurrentPatches_OfOnePersona_AreSerialised()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        var id = await sandbox.CreateAsync("""{"system_prompt":"x","document_tags":[]}""");
        var statuses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            sandbox.SendAsync(HttpMethod.Patch, $"/v2/personas/{id}", $$"""[{"op":"add","path":"/document_tags/-","value":"t{{i}}"}]""")));
        statuses.ShouldAllBe(s => s.Status == HttpStatusCode.OK);
        (await sandbox.SendAsync(HttpMethod.Get, $"/v2/personas/{id}")).Body!["document_tags"]!.AsArray().Count.ShouldBe(30);
    }

    [Fact]
    public async Task UnknownRoutes_Are404_AndWrongMethods405()
    {
        await using var sandbox = await LiveSandbox.StartAsync();
        (await sandbox.SendAsync(HttpMethod.Get, "/v2/nothing")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await sandbox.SendAsync(HttpMethod.Put, "/v2/personas/p1af207b8189", "{}")).Status.ShouldBe(HttpStatusCode.MethodNotAllowed);
    }
}
