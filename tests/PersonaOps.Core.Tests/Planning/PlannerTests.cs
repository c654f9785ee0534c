using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Planning;

/// <summary>
/// The schema-driven diff, rule by rule: each test is one thing a user relies on when a plan says
/// "No changes" or lists a field.
/// </summary>
public sealed class PlannerTests
{
    private const string Key = "sk-PLANNER-canary";

    private static Manifest Manifest(string spec, string metadata = "")
    {
        var yaml = $"""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            {metadata}
            spec:
            {spec}
            """;
        var result = ManifestValidator.Validate([new SourceFile("personas/coach.yaml", Encoding.UTF8.GetBytes(yaml))]);
        result.HasErrors.ShouldBeFalse(string.Join("\n", result.Diagnostics));
        return result.Manifests.Single();
    }

    private static PersonaPlan PlanOne(Manifest manifest, string? liveJson, Func<string, string?>? env = null, PlanOptions? options = null)
    {
        var live = liveJson is null ? [] : new[] { JsonNode.Parse(liveJson)!.AsObject() };
        var plan = Planner.Create(TestKeys.Target("test"), [manifest], live, env ?? (name => name == "LLM_KEY" ? Key : null), options);
        plan.Errors.ShouldBeEmpty();
        return plan.Personas.Single();
    }

    private static string Ops(PersonaPlan plan) => string.Join("; ", plan.Patch.Operations.Select(o => $"{o.Op.ToString().ToLowerInvariant()} {o.Path.Text}"));

    [Fact]
    public void ServerFieldsAndDefaults_AreNeverDifferences()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach.
              pipeline_mode: full
            """);
        var plan = PlanOne(manifest, """
            {"persona_id":"p0123456789a","persona_name":"Coach","system_prompt":"You coach.","created_at":"2026-01-01T00:00:00Z",
             "updated_at":"2026-02-01T00:00:00Z","persona_type":"user","layers":{"llm":{"model":"tavus-gpt-oss"}},"context":"","document_ids":[]}
            """);
        plan.Action.ShouldBe(PlanAction.NoOp, Ops(plan));
    }

    [Fact]
    public void AnEditedField_IsReplaced_AndAMissingParent_IsAddedWhole()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach kindly.
              layers:
                tts:
                  tts_engine: elevenlabs
                  tts_emotion_control: false
                stt:
                  stt_engine: tavus-auto
            """);
        var plan = PlanOne(manifest, """{"persona_id":"p0123456789a","persona_name":"Coach","system_prompt":"You coach."}""");
        plan.Action.ShouldBe(PlanAction.Update);
        Ops(plan).ShouldBe("add /layers; replace /system_prompt");
        plan.Patch.Operations[0].Value!.ToJsonString().ShouldBe("""{"tts":{"tts_emotion_control":false,"tts_engine":"elevenlabs"}}""", "fields equal to their defaults are not sent");
    }

    [Fact]
    public void ARemovedField_IsRemoved_ButUnknownLiveFieldsAreLeftAlone()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach.
            """);
        var plan = PlanOne(manifest, """{"persona_id":"p0123456789a","persona_name":"Coach","system_prompt":"You coach.","context":"Old context","brand_new_tavus_field":{"x":1}}""");
        Ops(plan).ShouldBe("remove /context");
        plan.Notes.ShouldContain(n => n.Contains("brand_new_tavus_field", StringComparison.Ordinal));
    }

    [Fact]
    public void IgnoredPointers_AreExcluded()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach.
              context: Git context
            """, "  ignore: [/context]");
        var plan = PlanOne(manifest, """{"persona_id":"p0123456789a","persona_name":"Coach","system_prompt":"You coach.","context":"Dashboard context"}""");
        plan.Action.ShouldBe(PlanAction.NoOp);
    }

    [Fact]
    public void Tools_AreComparedAsASetByName_AndADroppedDescriptionIsNotADifference()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach.
              layers:
                llm:
                  tools:
                    - type: function
                      function: {name: a, description: First., parameters: {type: object, properties: {}}}
                    - type: function
                      function: {name: b, description: Second., parameters: {type: object, properties: {}}}
            """);
        var plan = PlanOne(manifest, """
            {"persona_id":"p0123456789a","persona_name":"Coach","system_prompt":"You coach.","layers":{"llm":{"tools":[
              {"function":{"parameters":{"properties":{},"type":"object"},"name":"b"},"type":"function"},
              {"type":"function","function":{"name":"a","parameters":{"type":"object","properties":{}}}}]}}}
            """);
        plan.Action.ShouldBe(PlanAction.NoOp, Ops(plan));
    }

    [Fact]
    public void SecretsInAMapOfHeaders_AreComparedOneByOne_AndNeverShown()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach.
              layers:
                llm:
                  model: my-llm
                  base_url: https://llm.example.com/v1
                  api_key: ${env:LLM_KEY}
                  headers:
                    Authorization: Bearer ${env:LLM_KEY}
            """);
        var echoed = """{"persona_id":"p0123456789a","persona_name":"Coach","system_prompt":"You coach.","layers":{"llm":{"model":"my-llm","base_url":"https://llm.example.com/v1","api_key":"KEY","headers":{"Authorization":"Bearer KEY"}}}}"""
            .Replace("KEY", Key, StringComparison.Ordinal);
        PlanOne(manifest, echoed).Action.ShouldBe(PlanAction.NoOp);

        var rotated = PlanOne(manifest, echoed, name => name == "LLM_KEY" ? Key + "2" : null);
        Ops(rotated).ShouldBe("replace /layers/llm/api_key; replace /layers/llm/headers/Authorization");
        rotated.Patch.Operations[1].Value!.GetValue<string>().ShouldBe("Bearer ${env:LLM_KEY}");
        rotated.Changes.ShouldAllBe(c => c.Sensitive && c.After!.GetValue<string>() == Secrets.Sensitive);

        var masked = echoed.Replace(Key, "****", StringComparison.Ordinal).Replace("Bearer ****", "****", StringComparison.Ordinal);
        var notComparable = PlanOne(manifest, masked);
        notComparable.Action.ShouldBe(PlanAction.NoOp);
        notComparable.Notes.Count(n => n.Contains("not comparable", StringComparison.Ordinal)).ShouldBe(2);
        notComparable.UncomparableSecrets.ShouldBe(["/layers/llm/api_key", "/layers/llm/headers/Authorization"], ignoreOrder: true);
        PlanOne(manifest, echoed).UncomparableSecrets.ShouldBeEmpty();

        var rotate = PlanOne(manifest, masked, options: new PlanOptions { RotateSecrets = true });
        Ops(rotate).ShouldBe("replace /layers/llm/api_key; replace /layers/llm/headers/Authorization");
    }

    [Fact]
    public void ASecretDroppedFromTheManifest_IsRemoved()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach.
              layers:
                llm:
                  model: my-llm
                  base_url: https://llm.example.com/v1
            """);
        var plan = PlanOne(manifest, """{"persona_id":"p0123456789a","persona_name":"Coach","system_prompt":"You coach.","layers":{"llm":{"model":"my-llm","base_url":"https://llm.example.com/v1","api_key":"****","headers":{"X-Token":"****"}}}}""");
        Ops(plan).ShouldBe("remove /layers/llm/api_key; remove /layers/llm/headers/X-Token");
    }

    [Fact]
    public void ThePatch_AppliedToLive_GivesTheTarget()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach.
              document_tags: [x]
              layers:
                conversational_flow:
                  turn_taking_patience: high
            """);
        var liveJson = """{"persona_id":"p0123456789a","persona_name":"Coach","system_prompt":"Old","document_tags":["y","z"],"context":"c","layers":{"tts":{"tts_engine":"cartesia"}}}""";
        var plan = PlanOne(manifest, liveJson);
        var live = JsonNode.Parse(liveJson)!;
        var applied = plan.Patch.Apply(live);
        applied.Succeeded.ShouldBeTrue();
        var again = Planner.Create(TestKeys.Target("test"), [manifest], [applied.Document!.AsObject()], _ => null);
        again.Personas.Single().Action.ShouldBe(PlanAction.NoOp, Ops(again.Personas.Single()));
    }

    [Fact]
    public void AnAmbiguousName_IsAnErrorListingTheIds()
    {
        var manifest = Manifest("""
              persona_name: Coach
              system_prompt: You coach.
            """);
        var live = new[]
        {
            JsonNode.Parse("""{"persona_id":"p000000000001","persona_name":"Coach"}""")!.AsObject(),
            JsonNode.Parse("""{"persona_id":"p000000000002","persona_name":"Coach"}""")!.AsObject(),
        };
        var plan = Planner.Create(TestKeys.Target("test"), [manifest], live, _ => null);
        plan.Personas.ShouldBeEmpty();
        plan.Errors.Single().Message.ShouldContain("p000000000001, p000000000002");
    }
}
