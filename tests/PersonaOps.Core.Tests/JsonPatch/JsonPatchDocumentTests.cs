using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Tests.JsonPatch;

public sealed class JsonPatchDocumentTests
{
    private static JsonPatchDocument Parse(string json)
    {
        JsonPatchDocument.TryParse(json, out var patch, out var error).ShouldBeTrue(error);
        return patch!;
    }

    [Fact]
    public void Apply_IsAtomic_WhenALaterOperationFails()
    {
        var doc = JsonNode.Parse("""{"persona_name":"A","layers":{"llm":{"model":"m"}}}""");
        var patch = Parse("""[{"op":"replace","path":"/persona_name","value":"B"},{"op":"replace","path":"/layers/tts/tts_engine","value":"cartesia"}]""");

        var result = patch.Apply(doc);

        result.Succeeded.ShouldBeFalse();
        result.FailedOperation.ShouldBe(1);
        result.Error.ShouldBe("operation 1 (replace '/layers/tts/tts_engine'): the path '/layers/tts/tts_engine' does not exist");
        doc!["persona_name"]!.GetValue<string>().ShouldBe("A");
    }

    [Fact]
    public void Test_ComparesNumbersAsNumbers_AndIgnoresKeyOrder()
    {
        var doc = JsonNode.Parse("""{"a":1.0,"b":{"x":1,"y":[1,2]}}""");
        Parse("""[{"op":"test","path":"/a","value":1},{"op":"test","path":"/b","value":{"y":[1.00,2],"x":1e0}}]""")
            .Apply(doc).Succeeded.ShouldBeTrue();
        Parse("""[{"op":"test","path":"/b/y","value":[2,1]}]""").Apply(doc).Succeeded.ShouldBeFalse();
    }

    [Fact]
    public void Test_AgainstNull_MatchesOnlyAnExistingNull()
    {
        var doc = JsonNode.Parse("""{"a":null}""");
        Parse("""[{"op":"test","path":"/a","value":null}]""").Apply(doc).Succeeded.ShouldBeTrue();
        Parse("""[{"op":"test","path":"/b","value":null}]""").Apply(doc).Succeeded.ShouldBeFalse();
    }

    [Fact]
    public void Copy_OfAPlainValue_IsIndependentOfItsSource()
    {
        var result = Parse("""[{"op":"copy","from":"/a","path":"/b"},{"op":"replace","path":"/a/x","value":2}]""")
            .Apply(JsonNode.Parse("""{"a":{"x":1}}"""));
        result.Document!.ToJsonString().ShouldBe("""{"a":{"x":2},"b":{"x":1}}""");
    }

    [Fact]
    public void WholeDocument_CanBeReplacedAndTested()
    {
        Parse("""[{"op":"replace","path":"","value":"bar"}]""").Apply(JsonValue.Create("foo")).Document!.GetValue<string>().ShouldBe("bar");
        Parse("""[{"op":"test","path":"","value":{"foo":1}}]""").Apply(JsonNode.Parse("""{"foo":1}""")).Succeeded.ShouldBeTrue();
    }

    [Theory]
    [InlineData("""{"op":"add","path":"/a"}""", "'add' needs a 'value' member")]
    [InlineData("""{"op":"move","path":"/a"}""", "no 'from' member")]
    [InlineData("""{"op":"frob","path":"/a"}""", "'frob' is not an operation")]
    [InlineData("""{"path":"/a"}""", "no 'op' member")]
    [InlineData("""{"op":"remove","path":1}""", "'path' must be a string")]
    [InlineData("""{"op":"remove","path":"a"}""", "must be empty or start with '/'")]
    [InlineData("""[]""", "must be a JSON object")]
    public void TryParse_ExplainsMalformedOperations(string operation, string reason)
    {
        JsonPatchDocument.TryParse($"[{operation}]", out _, out var error).ShouldBeFalse();
        error.ShouldContain(reason);
    }

    [Fact]
    public void TryParse_RefusesInvalidJsonAndNonArrays()
    {
        JsonPatchDocument.TryParse("[{", out _, out var error).ShouldBeFalse();
        error.ShouldStartWith("the patch is not valid JSON");
        JsonPatchDocument.TryParse("""{"op":"add"}""", out _, out error).ShouldBeFalse();
        error.ShouldBe("a JSON Patch must be an array of operations");
    }

    [Fact]
    public void ToJson_WritesOperationsAsRfc6902Does()
    {
        var patch = new JsonPatchDocument([
            PatchOperation.Add(JsonPointer.Parse("/a~1b"), JsonNode.Parse("""{"x":[1]}""")),
            PatchOperation.Remove(JsonPointer.Parse("/c")),
            PatchOperation.Move(JsonPointer.Parse("/d"), JsonPointer.Parse("/e")),
            PatchOperation.Test(JsonPointer.Parse("/f"), null),
        ]);
        patch.ToJsonString().ShouldBe(
            """[{"op":"add","path":"/a~1b","value":{"x":[1]}},{"op":"remove","path":"/c"},{"op":"move","from":"/d","path":"/e"},{"op":"test","path":"/f","value":null}]""");
    }

    [Fact]
    public void Generate_UsesReplaceForExistingPaths_AddForMissingParentsWhole_AndRemovesArrayTailsBackwards()
    {
        var source = JsonNode.Parse("""{"name":"a","list":[1,2,3,4],"layers":{"llm":{"model":"x"}}}""");
        var target = JsonNode.Parse("""{"name":"b","list":[1,2],"layers":{"llm":{"model":"x"},"tts":{"tts_engine":"cartesia"}}}""");

        PatchGenerator.Create(source, target).ToJsonString().ShouldBe(
            """[{"op":"add","path":"/layers/tts","value":{"tts_engine":"cartesia"}},{"op":"remove","path":"/list/3"},{"op":"remove","path":"/list/2"},{"op":"replace","path":"/name","value":"b"}]""");

        var whole = new PatchPolicy { ArrayMode = p => p.Text == "/list" ? ArrayDiffMode.Whole : ArrayDiffMode.ElementWise };
        PatchGenerator.Create(source, target, whole).Operations.Single(o => o.Path.Text == "/list").ToString()
            .ShouldBe("""{"op":"replace","path":"/list","value":[1,2]}""");
    }
}
