using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Validation;

/// <summary>
/// "Did you mean" costs what the names cost, not their product: a manifest may hold a key or an enum value
/// of megabytes (a file is allowed 4 MiB), and the distance to every known name was a full matrix, 100 MB
/// per name for a 1 MiB key. Measured in bytes allocated on this thread, which does not depend on the machine.
/// </summary>
public sealed class SuggestionCostTests
{
    private static readonly string[] Fields = ["persona_name", "system_prompt", "context", "default_replica_id", "pipeline_mode", "layers", "document_ids"];

    [Fact]
    public void AHugeInput_IsComparedWithoutAMatrix()
    {
        var input = new string('s', 1_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var suggestion = Suggestions.Nearest(input, Fields);

        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(16L * 1024 * 1024);
        suggestion.ShouldBeNull();
    }

    [Fact]
    public void AnUnknownKeyOfAMegabyte_IsReported_WithoutGigabytes()
    {
        var key = new string('k', 1024 * 1024);
        var yaml = ValidationHarness.Valid + $"\n  ? {key}\n  : 1\n  pipeline_mode: {key}\n";
        var before = GC.GetAllocatedBytesForCurrentThread();

        var result = ValidationHarness.Validate(("personas/coach.yaml", yaml));

        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(400L * 1024 * 1024);
        result.Single("PO2003").ShouldBeAt("personas/coach.yaml", 8, 5);
    }

    [Theory]
    [InlineData("sytem_prompt", "system_prompt")]
    [InlineData("persona_nmae", "persona_name")]
    [InlineData("layer", "layers")]
    [InlineData("contxet", "context")]
    [InlineData("xyz", null)]
    public void TyposStillFindTheirField(string input, string? expected)
    {
        Suggestions.Nearest(input, Fields).ShouldBe(expected);
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("abc", "", 3)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("ca", "ac", 1)]
    [InlineData("abcdef", "badcfe", 3)]
    public void TheDistanceIsTheOptimalStringAlignmentDistance(string a, string b, int distance)
    {
        Suggestions.Distance(a, b).ShouldBe(distance);
        Suggestions.Distance(b, a).ShouldBe(distance);
    }
}
