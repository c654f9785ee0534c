using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>Reading back to confirm a PATCH whose answer was lost.</summary>
public sealed class IsAppliedTests
{
    private static JsonPatchDocument Patch(string json) => JsonPatchDocument.TryParse(json, out var patch, out var error) ? patch : throw new InvalidOperationException(error);

    [Theory]
    [InlineData("""{"system_prompt":"New","layers":{"llm":{"api_key":"sk-1"}}}""", true)]
    [InlineData("""{"system_prompt":"New","layers":{"llm":{"api_key":"****"}}}""", true)]
    [InlineData("""{"system_prompt":"New","layers":{"llm":{}}}""", true)]
    [InlineData("""{"system_prompt":"Old","layers":{"llm":{"api_key":"sk-1"}}}""", false)]
    [InlineData("""{"system_prompt":"New","context":"still here","layers":{"llm":{"api_key":"sk-1"}}}""", false)]
    [InlineData("""{"system_prompt":"New","layers":{"llm":{"api_key":"sk-other"}}}""", false)]
    public void ConfirmsOnlyWhatTheLivePersonaShows(string now, bool applied)
    {
        var patch = Patch("""[{"op":"replace","path":"/system_prompt","value":"New"},{"op":"remove","path":"/context"},{"op":"add","path":"/layers/llm/api_key","value":"sk-1"}]""");
        ApplyPreparation.IsApplied(patch, JsonNode.Parse(now)!).ShouldBe(applied);
    }
}
