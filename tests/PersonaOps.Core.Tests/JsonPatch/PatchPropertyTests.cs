using System.Text.Json.Nodes;
using CsCheck;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Tests.JsonPatch;

public sealed class PatchPropertyTests
{
    private static readonly PatchPolicy Whole = new() { ArrayMode = _ => ArrayDiffMode.Whole };

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ApplyingTheGeneratedPatch_TurnsTheSourceIntoTheTarget(bool wholeArrays)
    {
        var policy = wholeArrays ? Whole : PatchPolicy.Default;
        Gen.Select(JsonGen.Document, JsonGen.Document).Sample((source, target) =>
        {
            var patch = PatchGenerator.Create(source, target, policy);
            var result = patch.Apply(source);
            return result.Succeeded && JsonEquality.DeepEquals(result.Document, target);
        }, iter: 3000, print: t => $"{Show(t.Item1)} -> {Show(t.Item2)}");
    }

    [Fact]
    public void GeneratingFromADocumentToItself_GivesNoOperations() =>
        JsonGen.Document.Sample(doc =>
            PatchGenerator.Create(doc, doc).Count == 0 && PatchGenerator.Create(doc, JsonGen.Reordered(doc)).Count == 0,
            iter: 2000, print: Show);

    [Fact]
    public void Generation_IsDeterministic_WhateverTheKeyOrder() =>
        Gen.Select(JsonGen.Document, JsonGen.Document).Sample((source, target) =>
        {
            var first = PatchGenerator.Create(source, target);
            var again = PatchGenerator.Create(source?.DeepClone(), target?.DeepClone());
            var reordered = PatchGenerator.Create(JsonGen.Reordered(source), JsonGen.Reordered(target));
            // Same inputs: byte-identical patches. Reordered keys: the same operations in the same order
            // (values that are whole objects keep their own key order, which JSON does not observe).
            return first.ToJsonString() == again.ToJsonString() && first.Equals(reordered);
        }, iter: 2000);

    [Fact]
    public void AFailingPatch_ChangesNothing_AndNamesTheFailingOperation() =>
        Gen.Select(JsonGen.Document, JsonGen.Document).Sample((source, target) =>
        {
            var before = source?.DeepClone();
            var patch = PatchGenerator.Create(source, target);
            var failing = new JsonPatchDocument(patch.Operations.Append(
                PatchOperation.Test(JsonPointer.Parse("/no such member/ever"), JsonValue.Create(1))));
            var result = failing.Apply(source);
            return !result.Succeeded && result.FailedOperation == patch.Count && result.Document is null &&
                   JsonEquality.DeepEquals(source, before);
        }, iter: 2000);

    [Fact]
    public void Patches_RoundTripThroughTheirJsonForm() =>
        Gen.Select(JsonGen.Document, JsonGen.Document).Sample((source, target) =>
        {
            var patch = PatchGenerator.Create(source, target);
            return JsonPatchDocument.TryParse(patch.ToJsonString(), out var parsed, out _) && parsed.Equals(patch);
        }, iter: 2000);
}
