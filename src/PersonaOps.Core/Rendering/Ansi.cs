namespace PersonaOps.Core.Rendering;

/// <summary>
/// The one table of terminal colours PersonaOps uses: marks and inserted words green, removed red, changed
/// yellow, headings bold. <see cref="Off"/> writes the same text without escapes.
/// </summary>
public sealed class Ansi
{
    public static readonly Ansi On = new(true);
    public static readonly Ansi Off = new(false);

    private const string Green = "32";
    private const string Red = "31";
    private const string Yellow = "33";
    private const string BoldCode = "1";

    private readonly bool _enabled;

    private Ansi(bool enabled) => _enabled = enabled;

    public string Bold(string text) => Paint(text, BoldCode);

    /// <summary>A diagnostic's severity and code: errors red, warnings yellow.</summary>
    public string Severity(bool isError, string text) => Paint(text, isError ? Red : Yellow);

    public string Mark(LineMark mark) => mark switch
    {
        LineMark.Add => Paint("+", Green),
        LineMark.Remove => Paint("-", Red),
        LineMark.Change => Paint("~", Yellow),
        _ => " ",
    };

    public string Segment(Segment segment) => segment.Style switch
    {
        SegmentStyle.Inserted => Paint(segment.Text, Green),
        SegmentStyle.Deleted => Paint(segment.Text, Red),
        SegmentStyle.Heading => Bold(segment.Text),
        _ => segment.Text,
    };

    private string Paint(string text, string code) => _enabled ? $"\u001b[{code}m{text}\u001b[0m" : text;
}
