using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PersonaOps.Core.Importing;

/// <summary>
/// Writes JSON as the YAML of a manifest, so that every value reads back as exactly the same JSON in any
/// YAML reader (1.1 or 1.2) and shows a reviewer what it holds. Written here rather than with YamlDotNet's
/// emitter, which writes bidirectional overrides, zero-width and format characters raw (invisible in a
/// review), folds long lines, trusts its own chomping, and throws on a lone surrogate. Pure.
/// <list type="bullet">
/// <item>Multi-line text is a literal block when every line survives one (only '\n' breaks, no line that
/// ends with white space, a first line that starts with none, nothing invisible); the chomping indicator
/// keeps every final break.</item>
/// <item>Text that needs no quotes in any reader is plain: nothing YAML would resolve to a number, boolean,
/// null, date or merge key, no indicator first, no comment or mapping syntax (no flow syntax in a flow list).</item>
/// <item>Everything else is double-quoted, with every break, control, format, separator, private-use,
/// unassigned and lone surrogate character escaped.</item>
/// </list>
/// Keys are never blocks; a key longer than YAML's 1024-character limit for implicit keys is explicit (<c>? </c>).
/// </summary>
public static class ManifestYamlWriter
{
    private const int Step = 2;

    /// <summary>YAML's limit on the length of an implicit key.</summary>
    private const int MaxImplicitKey = 1000;

    /// <summary>A block mapping of <paramref name="root"/>'s members, from column 0, ending with a line break.</summary>
    public static string Write(JsonObject root)
    {
        var text = new StringBuilder();
        WriteMapping(text, root, 0);
        return text.ToString();
    }

    private static void WriteMapping(StringBuilder text, JsonObject obj, int indent)
    {
        foreach (var (key, value) in obj)
        {
            text.Append(' ', indent);
            var written = Key(key);
            if (written.Length > MaxImplicitKey)
            {
                text.Append("? ").Append(written).Append('\n').Append(' ', indent).Append(':');
            }
            else
            {
                text.Append(written).Append(':');
            }

            WriteValue(text, value, indent);
        }
    }

    /// <summary>A value after "key:" or "-", from its indicator on; ends with a line break.</summary>
    private static void WriteValue(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: 0 }:
                text.Append(" {}\n");
                break;
            case JsonObject obj:
                text.Append('\n');
                WriteMapping(text, obj, indent + Step);
                break;
            case JsonArray { Count: 0 }:
                text.Append(" []\n");
                break;
            case JsonArray array when array.Count <= 8 && array.All(i => i is null or JsonValue):
                text.Append(" [").AppendJoin(", ", array.Select(i => Scalar(i, indent, inFlow: true))).Append("]\n");
                break;
            case JsonArray array:
                text.Append('\n');
                WriteSequence(text, array, indent + Step);
                break;
            default:
                text.Append(' ').Append(Scalar(value, indent, inFlow: false)).Append('\n');
                break;
        }
    }

    private static void WriteSequence(StringBuilder text, JsonArray array, int indent)
    {
        foreach (var item in array)
        {
            if (item is JsonObject { Count: > 0 } obj)
            {
                // "- " takes the place of the first member's indentation: "- type: function".
                var member = new StringBuilder();
                WriteMapping(member, obj, indent + Step);
                text.Append(' ', indent).Append("- ").Append(member, indent + Step, member.Length - indent - Step);
            }
            else
            {
                text.Append(' ', indent).Append('-');
                WriteValue(text, item, indent);
            }
        }
    }

    internal static string Key(string key) => IsPlainSafe(key, inFlow: false) ? key : DoubleQuoted(key);

    /// <summary>A scalar value of a member or item at <paramref name="indent"/>.</summary>
    private static string Scalar(JsonNode? node, int indent, bool inFlow)
    {
        if (node is not JsonValue value)
        {
            return "null";
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                var text = value.GetValue<string>();
                return !inFlow && IsLiteralSafe(text) ? Literal(text, indent + Step)
                    : IsPlainSafe(text, inFlow) ? text
                    : DoubleQuoted(text);
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Number:
                return value.ToJsonString();
            default:
                return "null";
        }
    }

    /// <summary>
    /// A literal block: "|" keeps one final break, "|-" none, "|+" all of them. Empty lines are written
    /// empty, so no line of the file ends with a space.
    /// </summary>
    private static string Literal(string text, int indent)
    {
        var body = text.TrimEnd('\n');
        var breaks = text.Length - body.Length;
        var block = new StringBuilder(breaks switch { 0 => "|-", 1 => "|", _ => "|+" });
        foreach (var line in body.Split('\n'))
        {
            block.Append('\n');
            if (line.Length > 0)
            {
                block.Append(' ', indent).Append(line);
            }
        }

        // The final break ends the line the caller ends; the others are empty lines of the block.
        block.Append('\n', Math.Max(0, breaks - 1));
        return block.ToString();
    }

    internal static bool IsLiteralSafe(string text)
    {
        // The first line sets the block's indentation, so it may not start with white space; later lines may
        // start with spaces (more indented lines are text), never with a tab.
        if (!text.Contains('\n', StringComparison.Ordinal) || text[0] is '\n' or ' ')
        {
            return false;
        }

        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0 && (line.TrimStart(' ').StartsWith('\t') || line[^1] is ' ' or '\t' || !IsVisible(line, allowTab: true)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when <paramref name="text"/> needs no quotes in any reader, in block context (or in flow
    /// context, where ',', '[', ']', '{', '}' and ':' are syntax anywhere): visible, no surrounding spaces,
    /// no indicator first, no comment or mapping syntax, and nothing that YAML 1.1 or 1.2 resolves to a
    /// number, boolean, null, date or merge key. Conservative: a text that starts with a digit is quoted,
    /// whatever follows.
    /// </summary>
    internal static bool IsPlainSafe(string text, bool inFlow)
    {
        if (text.Length == 0 || text[0] == ' ' || text[^1] == ' ' || !IsVisible(text, allowTab: false))
        {
            return false;
        }

        if (Indicators.Contains(text[0]) || char.IsAsciiDigit(text[0]))
        {
            return false;
        }

        if (inFlow && text.AsSpan().IndexOfAny(FlowSyntax) >= 0 || text.Contains(": ", StringComparison.Ordinal) || text.Contains(" #", StringComparison.Ordinal) || text[^1] == ':')
        {
            return false;
        }

        // YamlDotNet (PersonaOps's own reader) cannot read a key holding " *" when another key follows it.
        if (text.Contains(" *", StringComparison.Ordinal))
        {
            return false;
        }

        return !Typed.Contains(text);
    }

    private static readonly SearchValues<char> FlowSyntax = SearchValues.Create(",[]{}:");

    /// <summary>Characters that may not start a plain scalar (or would make one read as something else).</summary>
    private static readonly SearchValues<char> Indicators = SearchValues.Create("-?:,[]{}#&*!|>'\"%@`.+=<~");

    /// <summary>Words YAML 1.1 or 1.2 reads as booleans or null.</summary>
    private static readonly HashSet<string> Typed = new(StringComparer.OrdinalIgnoreCase)
    {
        "null", "true", "false", "yes", "no", "y", "n", "on", "off",
    };

    /// <summary>True when every character of <paramref name="text"/> is one a reader keeps as it is and a reviewer sees.</summary>
    internal static bool IsVisible(string text, bool allowTab)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= ' ' and <= '~' || c == '\t' && allowTab)
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (IsHidden(char.ConvertToUtf32(c, text[i + 1])))
                {
                    return false;
                }

                i++;
                continue;
            }

            if (c < '\u00a0' || char.IsSurrogate(c) || IsHidden(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A code point that a reader may change or a reviewer cannot see: controls, format characters (BOM, zero-width, bidirectional), separators other than ' ', private use, unassigned, noncharacters.</summary>
    private static bool IsHidden(int codePoint) =>
        (codePoint & 0xFFFE) == 0xFFFE
        || CharUnicodeInfo.GetUnicodeCategory(codePoint) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.Surrogate;

    /// <summary>A double-quoted scalar on one line, with everything hidden or special escaped.</summary>
    public static string DoubleQuoted(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"': quoted.Append("\\\""); continue;
                case '\\': quoted.Append("\\\\"); continue;
                case '\0': quoted.Append("\\0"); continue;
                case '\a': quoted.Append("\\a"); continue;
                case '\b': quoted.Append("\\b"); continue;
                case '\t': quoted.Append("\\t"); continue;
                case '\n': quoted.Append("\\n"); continue;
                case '\v': quoted.Append("\\v"); continue;
                case '\f': quoted.Append("\\f"); continue;
                case '\r': quoted.Append("\\r"); continue;
                case '\u001b': quoted.Append("\\e"); continue;
                case '\u0085': quoted.Append("\\N"); continue;
                case '\u00a0': quoted.Append("\\_"); continue;
                case '\u2028': quoted.Append("\\L"); continue;
                case '\u2029': quoted.Append("\\P"); continue;
            }

            if (c is >= ' ' and <= '~')
            {
                quoted.Append(c);
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var codePoint = char.ConvertToUtf32(c, text[i + 1]);
                if (IsHidden(codePoint))
                {
                    quoted.Append(CultureInfo.InvariantCulture, $"\\U{codePoint:X8}");
                }
                else
                {
                    quoted.Append(c).Append(text[i + 1]);
                }

                i++;
            }
            else if (c < '\u00a0')
            {
                quoted.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else if (char.IsSurrogate(c) || IsHidden(c))
            {
                quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                quoted.Append(c);
            }
        }

        return quoted.Append('"').ToString();
    }
}
