using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Tests.Schema;

/// <summary>The schema-driven shapes of a persona: server fields and defaults, each read from the schema's annotations in one place.</summary>
public sealed class PersonaShapeTests
{
    private static JsonObject Live() => JsonNode.Parse("""
        {
          "persona_id": "p123", "persona_type": "user", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
          "tool_ids": ["t1"], "conferencing_email": "x@example.com", "pal_description": "A coach",
          "persona_name": "Coach", "system_prompt": "You coach.", "pipeline_mode": "full", "unknown_field": 1,
          "layers": { "llm": { "model": "tavus-gpt-oss", "speculative_inference": true }, "tts": { "tts_engine": "elevenlabs" } }
        }
        """)!.AsObject();

    [Fact]
    public void WithoutServerFields_DropsEveryReadOnlyField_AndNothingElse()
    {
        var live = Live();
        var body = PersonaShape.WithoutServerFields(live);

        var serverOwned = KindSchema.Persona.Spec.PropertyNames.Where(n => KindSchema.Persona.Spec.Member(n)!.IsReadOnly).ToArray();
        serverOwned.ShouldBe(new[] { "persona_id", "created_at", "updated_at", "persona_type", "tool_ids", "conferencing_email", "pal_description" }, ignoreOrder: true);
        body.Select(p => p.Key).ShouldBe(new[] { "persona_name", "system_prompt", "pipeline_mode", "unknown_field", "layers" }, ignoreOrder: true);
        JsonEquality.DeepEquals(body["layers"], live["layers"]).ShouldBeTrue();
        live.Count.ShouldBe(12, "the input is left as it was");
    }

    [Fact]
    public void WithoutDefaults_DropsValuesEqualToTheirDefaults_AtAnyDepth()
    {
        var shaped = PersonaShape.WithoutDefaults(Live());

        shaped.ContainsKey("pipeline_mode").ShouldBeFalse();
        shaped["layers"]!["llm"]!.AsObject().ContainsKey("speculative_inference").ShouldBeFalse();
        shaped["layers"]!["llm"]!["model"]!.GetValue<string>().ShouldBe("tavus-gpt-oss", "a server-chosen default is never dropped");
        shaped["layers"]!["tts"]!["tts_engine"]!.GetValue<string>().ShouldBe("elevenlabs");
    }

    [Theory]
    [InlineData("pipeline_mode", "\"full\"")]
    [InlineData("layers/llm/speculative_inference", "true")]
    [InlineData("layers/stt/stt_engine", "\"tavus-auto\"")]
    [InlineData("disclosure_type", "\"auto\"")]
    [InlineData("layers/conversational_flow/turn_taking_patience", "\"medium\"")]
    public void DefaultJson_IsTheSchemaDefaultAsJson(string path, string json)
    {
        var field = path.Split('/').Aggregate(KindSchema.Persona.Spec, (f, t) => f.Member(t)!);
        field.DefaultJson!.ToJsonString().ShouldBe(json);
        field.IsDefault(JsonNode.Parse(json)).ShouldBeTrue();
        field.IsDefault(JsonValue.Create("something else")).ShouldBeFalse();
        field.IsDefault(null).ShouldBeFalse("absent is not a value equal to the default");
    }

    [Fact]
    public void DefaultJson_IsNullWithoutADefault_AndAFreshNodeEachTime()
    {
        KindSchema.Persona.Spec.Member("persona_name")!.DefaultJson.ShouldBeNull();
        KindSchema.Persona.Spec.Member("persona_name")!.IsDefault(JsonValue.Create("")).ShouldBeFalse();

        var field = KindSchema.Persona.Spec.Member("pipeline_mode")!;
        var attached = new JsonObject { ["pipeline_mode"] = field.DefaultJson };
        attached["pipeline_mode"]!.GetValue<string>().ShouldBe("full");
        field.DefaultJson.ShouldNotBeSameAs(field.DefaultJson);
    }
}
