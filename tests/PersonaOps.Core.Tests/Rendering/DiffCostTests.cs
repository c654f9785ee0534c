using System.Text.Json.Nodes;
using PersonaOps.Core.Rendering;

namespace PersonaOps.Core.Tests.Rendering;

/// <summary>
/// A diff's cost is bounded: DiffPlex's Myers diff takes time (N + M) x D, quadratic for two long texts
/// that differ throughout (a 690 KB prompt against a rewritten one took plan 74 s; a manifest may hold
/// 4 MiB, a lying server 16 MiB, hours). Past a budget of tokens, lines or elements between the common
/// start and end, the middle is shown as removed whole and added whole: every change still shown, in
/// linear time. Within the budget the diff is as precise as before.
/// </summary>
public sealed class DiffCostTests
{
    /// <summary>Texts that share every other word: a precise diff pairs the shared words, the bounded one does not.</summary>
    private static (string Before, string After) Alternating(int words, string separator) => (
        string.Join(separator, Enumerable.Range(0, words).Select(i => i % 2 == 0 ? $"w{i}" : $"a{i}")),
        string.Join(separator, Enumerable.Range(0, words).Select(i => i % 2 == 0 ? $"w{i}" : $"b{i}")));

    /// <summary>True when no removed part comes after an added one: the middle was shown removed whole, then added whole.</summary>
    private static bool RemovedThenAdded(IEnumerable<SegmentStyle> styles)
    {
        var added = false;
        foreach (var style in styles)
        {
            added |= style == SegmentStyle.Inserted;
            if (added && style == SegmentStyle.Deleted)
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void AWordDiffBeyondTheBudget_ShowsTheMiddleRemovedThenAdded_KeepingTheCommonEnds()
    {
        var (before, after) = Alternating(60_000, " ");

        var lines = TextDiff.Words("Common start. " + before + " Common end.", "Common start. " + after + " Common end.", 4).ToList();

        RemovedThenAdded(lines.SelectMany(l => l.Segments).Select(s => s.Style)).ShouldBeTrue();
        lines[0].Text.ShouldStartWith("Common start. w0 [-a1 w2 ");
        lines[^1].Text.ShouldEndWith("+} Common end.");
        string.Concat(lines.SelectMany(l => l.Segments).Where(s => s.Style == SegmentStyle.Deleted).Select(s => s.Text)).ShouldContain("a59999");
        string.Concat(lines.SelectMany(l => l.Segments).Where(s => s.Style == SegmentStyle.Inserted).Select(s => s.Text)).ShouldContain("b59999");
    }

    [Fact]
    public void AWordDiffWithinTheBudget_IsPrecise()
    {
        var (before, after) = Alternating(200, " ");

        var lines = TextDiff.Words(before, after, 4).ToList();

        RemovedThenAdded(lines.SelectMany(l => l.Segments).Select(s => s.Style)).ShouldBeFalse();
    }

    [Fact]
    public void ALineDiffBeyondTheBudget_ShowsTheMiddleRemovedThenAdded()
    {
        var (before, after) = Alternating(120_000, "\n");

        var lines = TextDiff.Lines("first\n" + before + "\nlast\n", "first\n" + after + "\nlast\n", 4).ToList();

        RemovedThenAdded(lines.Select(l => l.Mark switch { LineMark.Add => SegmentStyle.Inserted, LineMark.Remove => SegmentStyle.Deleted, _ => SegmentStyle.Plain })).ShouldBeTrue();
        lines.Count(l => l.Mark == LineMark.Remove).ShouldBe(119_999, "all but the common w0");
        lines.Count(l => l.Mark == LineMark.Add).ShouldBe(119_999);
        lines[0].Text.ShouldBe("first");
        lines[^1].Text.ShouldBe("last");
    }

    [Fact]
    public void AnArrayAlignmentBeyondTheBudget_PairsByPosition()
    {
        var (before, _) = Alternating(120_000, "\n");
        var a = new JsonArray([.. before.Split('\n').Select(s => (JsonNode)JsonValue.Create(s))]);
        var b = new JsonArray([.. before.Split('\n').Where(s => s.StartsWith('w')).Select(s => (JsonNode)JsonValue.Create(s))]);

        var pairs = ArrayAlignment.Align(a, b).ToList();

        pairs.Count.ShouldBe(120_000);
        pairs[1].Before!.Value!.GetValue<string>().ShouldBe("a1");
        pairs[1].After!.Value!.GetValue<string>().ShouldBe("w2");
    }

    [Fact]
    public void AnArrayAlignmentWithinTheBudget_PairsEqualElements()
    {
        var (before, _) = Alternating(200, "\n");
        var a = new JsonArray([.. before.Split('\n').Select(s => (JsonNode)JsonValue.Create(s))]);
        var b = new JsonArray([.. before.Split('\n').Where(s => s.StartsWith('w')).Select(s => (JsonNode)JsonValue.Create(s))]);

        var pairs = ArrayAlignment.Align(a, b).ToList();

        pairs[1].Before!.Value!.GetValue<string>().ShouldBe("a1");
        pairs[1].After.ShouldBeNull();
    }
}
