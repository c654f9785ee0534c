using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;
using static PersonaOps.Core.Tests.Applying.ApplyData;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>Whether what Tavus shows after a change is the target on the planned fields, read as the plan reads personas.</summary>
public sealed class ConvergenceTests
{
    private static IReadOnlyList<string> Unconverged(string patch, string now) => Convergence.Unconverged(Patch(patch), JsonNode.Parse(now));

    [Theory]
    [InlineData("""{"layers":{"llm":{}}}""")]
    [InlineData("""{"layers":{"llm":{"api_key":""}}}""")]
    [InlineData("""{"layers":{"llm":{"api_key":"********"}}}""")]
    [InlineData("""{"layers":{"llm":{"api_key":null}}}""")]
    [InlineData("""{"layers":{"llm":{"api_key":"sk-sent"}}}""")]
    public void ASecretTavusDoesNotReturn_IsNeverHeldAgainstTheApply(string now) =>
        Unconverged("""[{"op":"replace","path":"/layers/llm/api_key","value":"sk-sent"}]""", now).ShouldBeEmpty();

    [Fact]
    public void ASecretEchoedInClear_MustBeTheValueSent() =>
        Unconverged("""[{"op":"replace","path":"/layers/llm/api_key","value":"sk-sent"}]""", """{"layers":{"llm":{"api_key":"sk-other"}}}""")
            .ShouldBe(["/layers/llm/api_key"]);

    [Fact]
    public void ASecretInsideAnAddedLayer_IsNotComparedEither_TheOtherMembersAre()
    {
        const string patch = """[{"op":"add","path":"/layers/tts","value":{"tts_engine":"elevenlabs","api_key":"sk-tts","external_voice_id":"v1"}}]""";

        Unconverged(patch, """{"layers":{"tts":{"tts_engine":"elevenlabs","external_voice_id":"v1"}}}""").ShouldBeEmpty();
        Unconverged(patch, """{"layers":{"tts":{"tts_engine":"cartesia","external_voice_id":"v1"}}}""").ShouldBe(["/layers/tts"]);
        Unconverged(patch, """{"layers":{}}""").ShouldBe(["/layers/tts"]);
    }

    [Fact]
    public void ToolsAreASet_AndADescriptionTavusDropsOnReadBack_IsNotADifference()
    {
        const string patch = """
            [{"op":"replace","path":"/layers/llm/tools","value":[
              {"type":"function","function":{"name":"a","description":"A.","parameters":{}}},
              {"type":"function","function":{"name":"b","description":"B.","parameters":{}}}]}]
            """;

        Unconverged(patch, """{"layers":{"llm":{"tools":[{"type":"function","function":{"name":"b","parameters":{}}},{"type":"function","function":{"name":"a","parameters":{}}}]}}}""").ShouldBeEmpty();
        Unconverged(patch, """{"layers":{"llm":{"tools":[{"type":"function","function":{"name":"a","parameters":{}}}]}}}""").ShouldBe(["/layers/llm/tools"]);
    }

    [Theory]
    [InlineData("""{"system_prompt":"p"}""", true)]
    [InlineData("""{"system_prompt":"p","context":""}""", true)]
    [InlineData("""{"system_prompt":"p","context":null}""", true)]
    [InlineData("""{"system_prompt":"p","context":"still here"}""", false)]
    public void ARemovedField_MustReadAsAbsent(string now, bool converged) =>
        Unconverged("""[{"op":"remove","path":"/context"}]""", now).Count.ShouldBe(converged ? 0 : 1);

    [Fact]
    public void ARemovedSecretThatStillReadsMasked_IsStillSet_AsThePlanReadsIt() =>
        Unconverged("""[{"op":"remove","path":"/layers/llm/api_key"}]""", """{"layers":{"llm":{"api_key":"****"}}}""").ShouldBe(["/layers/llm/api_key"]);

    [Fact]
    public void AFieldSetToItsDefault_ThatTavusOmits_IsConverged()
    {
        // Tavus omits default-valued fields on read-back; the schema's default for speculative_inference is true.
        Unconverged("""[{"op":"add","path":"/layers/llm/speculative_inference","value":true}]""", """{"layers":{"llm":{"model":"m"}}}""").ShouldBeEmpty();
        Unconverged("""[{"op":"add","path":"/layers/llm/speculative_inference","value":false}]""", """{"layers":{"llm":{"model":"m"}}}""").ShouldBe(["/layers/llm/speculative_inference"]);
    }

    [Fact]
    public void OnlyThePlannedFieldsCount_AndEachIsNamedOnce_InPatchOrder()
    {
        const string patch = """[{"op":"replace","path":"/system_prompt","value":"New"},{"op":"replace","path":"/layers/llm/model","value":"m2"}]""";

        Unconverged(patch, """{"system_prompt":"New","layers":{"llm":{"model":"m2"}},"persona_name":"renamed by someone","extra":1}""").ShouldBeEmpty();
        Unconverged(patch, """{"system_prompt":"Old","layers":{"llm":{"model":"m"}}}""").ShouldBe(["/system_prompt", "/layers/llm/model"]);
        Convergence.Describe(["/system_prompt", "/layers/llm/model"]).ShouldBe("system_prompt, layers.llm.model");
    }

    [Fact]
    public void NothingReadBack_ConvergesOnlyWhereNothingWasAsked() =>
        Convergence.Unconverged(Patch("""[{"op":"replace","path":"/system_prompt","value":"New"}]"""), null).ShouldBe(["/system_prompt"]);
}
