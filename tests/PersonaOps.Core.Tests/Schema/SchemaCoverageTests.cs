using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Tests.Schema;

/// <summary>The schema covers every persona field Tavus documents, with the annotations the diff relies on.</summary>
public sealed class SchemaCoverageTests
{
    /// <summary>Every field of Tavus's persona create body (official OpenAPI document) and the persona reference.</summary>
    public static TheoryData<string> DocumentedFields() =>
    [
        "persona_name", "system_prompt", "pipeline_mode", "context", "default_replica_id", "document_ids", "document_tags",
        "objectives_id", "guardrails_id", "guardrail_ids", "guardrail_tags", "greeting",
        "disclosure_type", "verbal_disclosure", "visual_disclosure",
        "persona_id", "created_at", "updated_at", "persona_type", "tool_ids", "conferencing_email", "pal_description",
        "layers/llm/model", "layers/llm/base_url", "layers/llm/api_key", "layers/llm/speculative_inference", "layers/llm/tools",
        "layers/llm/headers", "layers/llm/extra_body", "layers/llm/default_query",
        "layers/tts/tts_engine", "layers/tts/api_key", "layers/tts/external_voice_id", "layers/tts/voice_id", "layers/tts/voice_settings",
        "layers/tts/tts_emotion_control", "layers/tts/tts_model_name", "layers/tts/pronunciation_dictionary_id", "layers/tts/playht_user_id",
        "layers/stt/stt_engine", "layers/stt/hotwords", "layers/stt/participant_pause_sensitivity",
        "layers/stt/participant_interrupt_sensitivity", "layers/stt/smart_turn_detection",
        "layers/perception/perception_model", "layers/perception/visual_awareness_queries", "layers/perception/visual_tool_prompt",
        "layers/perception/visual_tools", "layers/perception/audio_awareness_queries", "layers/perception/audio_tool_prompt",
        "layers/perception/audio_tools", "layers/perception/perception_analysis_queries", "layers/perception/ambient_awareness_queries",
        "layers/perception/perception_tool_prompt", "layers/perception/perception_tools", "layers/perception/tool_prompt",
        "layers/conversational_flow/turn_detection_model", "layers/conversational_flow/turn_taking_patience",
        "layers/conversational_flow/replica_interruptibility", "layers/conversational_flow/voice_isolation",
        "layers/conversational_flow/wake_phrase", "layers/conversational_flow/sleep_phrase", "layers/conversational_flow/idle_engagement",
        "layers/conversational_flow/turn_commitment", "layers/conversational_flow/active_listening",
        "layers/transport/transport_type",
    ];

    private static SchemaField? Field(string path)
    {
        SchemaField? field = KindSchema.Persona.Spec;
        foreach (var token in path.Split('/'))
        {
            field = field?.Member(token);
        }

        return field;
    }

    [Theory]
    [MemberData(nameof(DocumentedFields))]
    public void DocumentedField_IsInTheSchema(string path) => Field(path).ShouldNotBeNull($"spec/{path} is missing from the schema");

    [Theory]
    [InlineData("layers/llm/api_key")]
    [InlineData("layers/tts/api_key")]
    public void SecretFields_AreWriteOnly(string path) => Field(path)!.IsWriteOnly.ShouldBeTrue();

    [Fact]
    public void HeaderValues_AreWriteOnly() => Field("layers/llm/headers")!.Member("Authorization")!.IsWriteOnly.ShouldBeTrue();

    [Theory]
    [InlineData("persona_id")]
    [InlineData("created_at")]
    [InlineData("updated_at")]
    [InlineData("persona_type")]
    public void ServerFields_AreReadOnly(string path) => Field(path)!.IsReadOnly.ShouldBeTrue();

    [Theory]
    [InlineData("pipeline_mode", "full")]
    [InlineData("layers/llm/speculative_inference", true)]
    [InlineData("layers/tts/tts_emotion_control", true)]
    [InlineData("layers/stt/stt_engine", "tavus-auto")]
    [InlineData("layers/perception/perception_model", "raven-1")]
    [InlineData("layers/conversational_flow/voice_isolation", "near")]
    public void DocumentedDefaults_AreAnnotated(string path, object expected) => Field(path)!.Default.ShouldBe(expected);

    [Theory]
    [InlineData("layers/llm/model")]
    [InlineData("layers/tts/tts_model_name")]
    [InlineData("layers/conversational_flow/turn_detection_model")]
    public void ServerChosenDefaults_HaveNoFixedDefault(string path)
    {
        Field(path)!.Default.ShouldBeNull();
        Field(path)!.IsServerDefault.ShouldBeTrue();
    }

    [Theory]
    [InlineData("layers/llm/tools", CompareMode.Set)]
    [InlineData("layers/perception/visual_tools", CompareMode.Set)]
    [InlineData("system_prompt", CompareMode.Text)]
    [InlineData("persona_name", CompareMode.Value)]
    public void CompareModes_AreAnnotated(string path, CompareMode mode) => Field(path)!.Compare.ShouldBe(mode);

    [Fact]
    public void Tools_AreKeyedByFunctionName() => Field("layers/llm/tools")!.SetKey.ShouldBe("/function/name");

    [Fact]
    public void UnknownFields_HaveNoSchema() => Field("layers/llm/modle").ShouldBeNull();
}
