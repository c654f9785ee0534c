namespace PersonaOps.Core.Rendering;

/// <summary>What a line of a change view does: nothing (context), adds, removes or changes.</summary>
public enum LineMark
{
    None,
    Add,
    Remove,
    Change,
}

/// <summary>How a part of a line is shown: as is, as inserted or deleted words, or as a comment.</summary>
public enum SegmentStyle
{
    Plain,
    Inserted,
    Deleted,
    Comment,
    Heading,
}

/// <summary>A run of text in one style. User text in it is already made inert (<see cref="TextEscape"/>).</summary>
public readonly record struct Segment(string Text, SegmentStyle Style = SegmentStyle.Plain);

/// <summary>
/// One line of a change view: its indent (columns before the mark), its mark and its text. Renderers only
/// lay lines out: the text plan puts the mark after the indent, a Markdown <c>diff</c> block in the first
/// column, where diff highlighting looks for it; neither re-parses the other's output.
/// </summary>
public sealed record ViewLine(int Indent, LineMark Mark, IReadOnlyList<Segment> Segments)
{
    public static ViewLine Of(int indent, LineMark mark, string text, SegmentStyle style = SegmentStyle.Plain) => new(indent, mark, [new Segment(text, style)]);

    /// <summary>The line's text without styling.</summary>
    public string Text => string.Concat(Segments.Select(s => s.Text));
}

/// <summary>Who speaks: a plan (what apply will do) or drift (how live differs from Git).</summary>
public enum ChangeVoice
{
    Plan,
    Drift,
}
