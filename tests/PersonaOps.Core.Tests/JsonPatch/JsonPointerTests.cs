using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Tests.JsonPatch;

public sealed class JsonPointerTests
{
    [Theory]
    [InlineData("", new string[0])]
    [InlineData("/", new[] { "" })]
    [InlineData("/a~1b/m~0n", new[] { "a/b", "m~n" })]
    [InlineData("/~01", new[] { "~1" })]
    [InlineData("/layers/llm/tools/0", new[] { "layers", "llm", "tools", "0" })]
    public void Parse_UnescapesTokens(string text, string[] tokens)
    {
        var pointer = JsonPointer.Parse(text);
        pointer.Tokens.ShouldBe(tokens);
        JsonPointer.FromTokens(tokens).Text.ShouldBe(text);
    }

    [Theory]
    [InlineData("a/b", "must be empty or start with '/'")]
    [InlineData("/a~2", "'~' not followed by '0' or '1'")]
    [InlineData("/a~", "'~' not followed by '0' or '1'")]
    public void TryParse_RefusesMalformedPointers(string text, string reason)
    {
        JsonPointer.TryParse(text, out _, out var error).ShouldBeFalse();
        error.ShouldContain(reason);
    }

    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("10", true, 10)]
    [InlineData("01", false, -1)]
    [InlineData("-", false, -1)]
    [InlineData("1e0", false, -1)]
    [InlineData("-1", false, -1)]
    [InlineData("99999999999", false, -1)]
    public void TryParseIndex_FollowsRfc6901(string token, bool ok, int index)
    {
        JsonPointer.TryParseIndex(token, out var parsed).ShouldBe(ok);
        if (ok)
        {
            parsed.ShouldBe(index);
        }
    }

    [Fact]
    public void TryResolve_FindsNullValuesAndRejectsMissingOnes()
    {
        var doc = JsonNode.Parse("""{"a":{"b":null,"c/d":[1,2]}}""");
        JsonPointer.Parse("/a/b").TryResolve(doc, out var value).ShouldBeTrue();
        value.ShouldBeNull();
        JsonPointer.Parse("/a/c~1d/1").TryResolve(doc, out value).ShouldBeTrue();
        value!.GetValue<int>().ShouldBe(2);
        JsonPointer.Parse("/a/x").TryResolve(doc, out _).ShouldBeFalse();
        JsonPointer.Parse("/a/c~1d/2").TryResolve(doc, out _).ShouldBeFalse();
        JsonPointer.Parse("/a/b/c").TryResolve(doc, out _).ShouldBeFalse();
    }

    [Fact]
    public void StartsWith_ComparesWholeTokens()
    {
        JsonPointer.Parse("/a/bc").StartsWith(JsonPointer.Parse("/a/b")).ShouldBeFalse();
        JsonPointer.Parse("/a/b/c").StartsWith(JsonPointer.Parse("/a/b")).ShouldBeTrue();
        JsonPointer.Parse("/a").StartsWith(JsonPointer.Root).ShouldBeTrue();
    }
}
