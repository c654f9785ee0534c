using System.Text.Json.Nodes;
using DiffPlex;
using DiffPlex.Chunkers;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// Text diffs for the change view, computed by DiffPlex: multi-line strings line by line, long one-line
/// strings word by word, wrapped for reading. Unchanged runs beyond a little context fold into a counted
/// comment; every changed line and word is shown whole.
/// </summary>
internal static class TextDiff
{
    private const int ContextLines = 2;

    /// <summary>Columns of text per line of a wrapped word diff.</summary>
    private const int WrapWidth = 100;

    /// <summary>Shown, as git does, on the side whose last line has no line break when the other's has one.</summary>
    internal const string NoLineBreak = "\\ (no line break at the end)";

    public static IEnumerable<ViewLine> Lines(string before, string after, int indent)
    {
        // Controls are escaped before diffing, so a carriage return shows as one and cannot pass for a line end.
        // Every line break counts: blank lines at the end are lines, and a last line break added or removed
        // shows as the marker on the side without one, never as a change with nothing marked.
        static List<string> Rows(string text)
        {
            var rows = text.Length == 0 ? [] : text.Split('\n').Select(TextEscape.Control).ToList();
            if (rows.Count > 0 && rows[^1].Length == 0)
            {
                rows.RemoveAt(rows.Count - 1);
            }

            return rows;
        }

        var (a, b) = (Rows(before), Rows(after));
        if (before.Length > 0 && after.Length > 0 && before.EndsWith('\n') != after.EndsWith('\n'))
        {
            (before.EndsWith('\n') ? b : a).Add(NoLineBreak);
        }

        IEnumerable<(string Text, ChangeType Type)> rows;
        if (Bounded(a, b) is var (prefix, suffix))
        {
            rows = a.Take(prefix).Select(r => (r, ChangeType.Unchanged))
                .Concat(a.Skip(prefix).Take(a.Count - prefix - suffix).Select(r => (r, ChangeType.Deleted)))
                .Concat(b.Skip(prefix).Take(b.Count - prefix - suffix).Select(r => (r, ChangeType.Inserted)))
                .Concat(a.Skip(a.Count - suffix).Select(r => (r, ChangeType.Unchanged)));
        }
        else
        {
            // One row a chunk, each ended by a line break, so that an empty row is a row.
            static string Joined(List<string> rows) => string.Concat(rows.Select(r => r + "\n"));
            var chunker = new CustomFunctionChunker(text => text.Length == 0 ? [] : text[..^1].Split('\n'));
            rows = InlineDiffBuilder.Diff(Joined(a), Joined(b), ignoreWhiteSpace: false, ignoreCase: false, chunker).Lines.Select(l => (l.Text, l.Type));
        }

        var lines = rows.Select(line => line.Type switch
        {
            ChangeType.Inserted => ViewLine.Of(indent, LineMark.Add, TextEscape.Changed(line.Text, endsLine: true)),
            ChangeType.Deleted => ViewLine.Of(indent, LineMark.Remove, TextEscape.Changed(line.Text, endsLine: true)),
            _ => ViewLine.Of(indent, LineMark.None, line.Text),
        }).ToList();
        return Fold(lines, indent);
    }

    /// <summary>
    /// Items (words, lines, elements) between the common start and end of two sequences beyond which no
    /// diff is computed: DiffPlex's Myers diff takes time (N + M) x D, quadratic for two long sequences that
    /// differ throughout (two rewritten 690 KB prompts took 74 s), and a manifest may hold 4 MiB, a lying
    /// server 16 MiB. Beyond it the middle is shown removed whole, then added whole: every change is still
    /// shown, in linear time.
    /// </summary>
    internal const int Budget = 50_000;

    /// <summary>
    /// The lengths of the common start and end of <paramref name="a"/> and <paramref name="b"/> (not
    /// overlapping) when what lies between them is beyond <see cref="Budget"/>; null when a diff may be computed.
    /// </summary>
    internal static (int Prefix, int Suffix)? Bounded(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count + b.Count <= Budget)
        {
            return null;
        }

        var prefix = 0;
        while (prefix < a.Count && prefix < b.Count && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Count - prefix && suffix < b.Count - prefix && a[a.Count - 1 - suffix] == b[b.Count - 1 - suffix])
        {
            suffix++;
        }

        return a.Count + b.Count - (2 * (prefix + suffix)) > Budget ? (prefix, suffix) : null;
    }

    /// <summary>
    /// A word diff of two one-line strings: the words of both in order, removed ones as <c>[-...-]</c> and
    /// added ones as <c>{+...+}</c> (git's plain word-diff notation, readable without colour), wrapped at
    /// word boundaries; a line holding a change is marked changed.
    /// </summary>
    public static IEnumerable<ViewLine> Words(string before, string after, int indent)
    {
        var pieces = new List<(string Text, SegmentStyle Style)>();
        var (old, @new) = (Tokens(before), Tokens(after));
        if (Bounded(old, @new) is var (prefix, suffix))
        {
            pieces.AddRange(old.Take(prefix).Select(p => (p, SegmentStyle.Plain)));
            pieces.AddRange(old.Skip(prefix).Take(old.Length - prefix - suffix).Select(p => (p, SegmentStyle.Deleted)));
            pieces.AddRange(@new.Skip(prefix).Take(@new.Length - prefix - suffix).Select(p => (p, SegmentStyle.Inserted)));
            pieces.AddRange(old.Skip(old.Length - suffix).Select(p => (p, SegmentStyle.Plain)));
        }
        else
        {
            var diff = Differ.Instance.CreateDiffs(before, after, ignoreWhiteSpace: false, ignoreCase: false, new CustomFunctionChunker(Tokens));
            var at = 0;
            foreach (var block in diff.DiffBlocks)
            {
                pieces.AddRange(diff.PiecesOld.Skip(at).Take(block.DeleteStartA - at).Select(p => (p, SegmentStyle.Plain)));
                pieces.AddRange(diff.PiecesOld.Skip(block.DeleteStartA).Take(block.DeleteCountA).Select(p => (p, SegmentStyle.Deleted)));
                pieces.AddRange(diff.PiecesNew.Skip(block.InsertStartB).Take(block.InsertCountB).Select(p => (p, SegmentStyle.Inserted)));
                at = block.DeleteStartA + block.DeleteCountA;
            }

            pieces.AddRange(diff.PiecesOld.Skip(at).Select(p => (p, SegmentStyle.Plain)));
        }

        pieces = Coalesce(pieces);

        var lines = new List<ViewLine>();
        var current = new List<(string Text, SegmentStyle Style)>();
        var width = 0;
        foreach (var (text, style) in pieces.SelectMany(p => Split(p.Text).Select(t => (t, p.Style))))
        {
            if (width > 0 && width + text.Length > WrapWidth)
            {
                lines.Add(Line(current, indent));
                current.Clear();
                width = 0;
                if (style == SegmentStyle.Plain && string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }
            }

            current.Add((text, style));
            width += text.Length;
        }

        if (current.Count > 0)
        {
            lines.Add(Line(current, indent));
        }

        return Fold(lines, indent);
    }

    /// <summary>
    /// Joins changes separated only by whitespace into one removed run followed by one added run, so that
    /// "giving up politely" replaced by "offering a human agent" reads as one phrase replaced by another, not
    /// as word pairs interleaved.
    /// </summary>
    private static List<(string Text, SegmentStyle Style)> Coalesce(List<(string Text, SegmentStyle Style)> pieces)
    {
        var result = new List<(string Text, SegmentStyle Style)>();
        var i = 0;
        while (i < pieces.Count)
        {
            if (pieces[i].Style == SegmentStyle.Plain)
            {
                result.Add(pieces[i++]);
                continue;
            }

            // A run of changes, and the whitespace between them when a change follows it.
            var end = i;
            for (var j = i; j < pieces.Count; j++)
            {
                if (pieces[j].Style != SegmentStyle.Plain)
                {
                    end = j;
                }
                else if (!string.IsNullOrWhiteSpace(pieces[j].Text))
                {
                    break;
                }
            }

            var run = pieces.GetRange(i, end - i + 1);
            result.AddRange(run.Where(p => p.Style != SegmentStyle.Inserted).Select(p => (p.Text, SegmentStyle.Deleted)));
            result.AddRange(run.Where(p => p.Style != SegmentStyle.Deleted).Select(p => (p.Text, SegmentStyle.Inserted)));
            i = end + 1;
        }

        return result;
    }

    /// <summary>Runs of whitespace and runs of anything else, in order; together they are the text.</summary>
    private static string[] Tokens(string text)
    {
        var tokens = new List<string>();
        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || char.IsWhiteSpace(text[i]) != char.IsWhiteSpace(text[i - 1]))
            {
                tokens.Add(text[start..i]);
                start = i;
            }
        }

        return [.. tokens];
    }

    /// <summary>A token longer than a line (a long URL, say) in line-sized pieces.</summary>
    private static IEnumerable<string> Split(string token)
    {
        for (var at = 0; at < token.Length; at += WrapWidth)
        {
            yield return token.Substring(at, Math.Min(WrapWidth, token.Length - at));
        }
    }

    /// <summary>One wrapped line: adjacent pieces of one style merged, changed runs bracketed.</summary>
    private static ViewLine Line(List<(string Text, SegmentStyle Style)> pieces, int indent)
    {
        // The space a line was broken at is not shown at its end.
        while (pieces.Count > 1 && pieces[^1].Style == SegmentStyle.Plain && string.IsNullOrWhiteSpace(pieces[^1].Text))
        {
            pieces.RemoveAt(pieces.Count - 1);
        }

        var segments = new List<Segment>();
        foreach (var group in pieces.Aggregate(new List<(string Text, SegmentStyle Style)>(), (runs, piece) =>
        {
            if (runs.Count > 0 && runs[^1].Style == piece.Style)
            {
                runs[^1] = (runs[^1].Text + piece.Text, piece.Style);
            }
            else
            {
                runs.Add(piece);
            }

            return runs;
        }))
        {
            var text = group.Style == SegmentStyle.Plain ? TextEscape.Control(group.Text) : TextEscape.Changed(group.Text);
            segments.Add(group.Style switch
            {
                SegmentStyle.Deleted => new Segment("[-" + text + "-]", SegmentStyle.Deleted),
                SegmentStyle.Inserted => new Segment("{+" + text + "+}", SegmentStyle.Inserted),
                _ => new Segment(text),
            });
        }

        var changed = pieces.Any(p => p.Style != SegmentStyle.Plain);
        return new ViewLine(indent, changed ? LineMark.Change : LineMark.None, segments);
    }

    /// <summary>Keeps changed lines and their context; each longer unchanged run becomes one counted comment.</summary>
    private static IEnumerable<ViewLine> Fold(List<ViewLine> lines, int indent)
    {
        var keep = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Mark != LineMark.None)
            {
                for (var j = Math.Max(0, i - ContextLines); j <= Math.Min(lines.Count - 1, i + ContextLines); j++)
                {
                    keep[j] = true;
                }
            }
        }

        var hidden = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            if (!keep[i])
            {
                hidden++;
                continue;
            }

            if (hidden > 0)
            {
                yield return Hidden(hidden, indent);
                hidden = 0;
            }

            yield return lines[i];
        }

        if (hidden > 0)
        {
            yield return Hidden(hidden, indent);
        }
    }

    private static ViewLine Hidden(int count, int indent) =>
        ViewLine.Of(indent, LineMark.None, $"# ({count} unchanged line{(count == 1 ? "" : "s")} hidden)", SegmentStyle.Comment);
}

/// <summary>
/// Pairs the elements of two arrays for display: a longest common subsequence of their canonical JSON
/// (DiffPlex, one element a line), so equal elements line up; within a changed run, elements pair by
/// position (shown as changed) and the rest are added or removed.
/// </summary>
internal static class ArrayAlignment
{
    public sealed record Item(JsonNode? Value);

    public static IEnumerable<(Item? Before, Item? After)> Align(JsonArray before, JsonArray after)
    {
        var a = before.Select(CanonicalJson.Serialize).ToArray();
        var b = after.Select(CanonicalJson.Serialize).ToArray();
        var i = 0;
        var j = 0;

        // Beyond the diff's budget, elements pair by position (TextDiff.Budget): every difference still shows.
        var blocks = a.Length == 0 || b.Length == 0 || TextDiff.Bounded(a, b) is not null
            ? []
            : Differ.Instance.CreateDiffs(string.Join('\n', a), string.Join('\n', b), ignoreWhiteSpace: false, ignoreCase: false, new CustomFunctionChunker(text => text.Length == 0 ? [] : text.Split('\n'))).DiffBlocks;
        foreach (var block in blocks)
        {
            for (; i < block.DeleteStartA; i++, j++)
            {
                yield return (new Item(before[i]), new Item(after[j]));
            }

            for (var k = 0; k < Math.Max(block.DeleteCountA, block.InsertCountB); k++)
            {
                yield return (k < block.DeleteCountA ? new Item(before[i + k]) : null, k < block.InsertCountB ? new Item(after[j + k]) : null);
            }

            i += block.DeleteCountA;
            j += block.InsertCountB;
        }

        for (; i < before.Count || j < after.Count; i++, j++)
        {
            yield return (i < before.Count ? new Item(before[i]) : null, j < after.Count ? new Item(after[j]) : null);
        }
    }
}
