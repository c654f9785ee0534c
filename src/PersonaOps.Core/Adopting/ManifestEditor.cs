using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Importing;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Core.Adopting;

/// <summary>One change to a document: set the value at <see cref="Path"/> (from the document root), or remove it.</summary>
public sealed record DocumentEdit(JsonPointer Path, JsonNode? Value, bool Remove = false)
{
    public static DocumentEdit Set(JsonPointer path, JsonNode? value) => new(path, value?.DeepClone());

    public static DocumentEdit Delete(JsonPointer path) => new(path, null, Remove: true);
}

/// <summary>
/// Rewrites the text of one YAML document in place, from the source spans the reader keeps
/// (<see cref="SourceSpan"/>): only the characters that hold the values changed are replaced, so comments,
/// key order, quoting, block scalars, blank lines, other documents and line endings stay as they were.
/// <list type="bullet">
/// <item>A scalar keeps its style where it can hold the new value: plain stays plain when the text is a safe
/// plain scalar (else double-quoted), quotes stay quotes, a literal block stays a literal block at its
/// indentation, with the chomping indicator the new text needs (a folded block becomes a literal one).</item>
/// <item>A collection is rewritten whole in its style: flow stays flow, block stays block at its indentation.</item>
/// <item>A missing field is inserted as <c>key: value</c> lines at the parent mapping's indentation (missing
/// parents created); a removed field's lines are deleted exactly, and a mapping left empty goes with it.</item>
/// <item>A value written through an anchor or an alias is refused: editing it would change another place.</item>
/// </list>
/// Pure: text in, text out. The caller re-reads the result and compares it with what it intended.
/// </summary>
public static class ManifestEditor
{
    private const int Step = 2;

    /// <summary>The text with <paramref name="edit"/> applied to document <paramref name="document"/>, or null and why not.</summary>
    public static string? Apply(string text, int document, DocumentEdit edit, out string? refusal)
    {
        var diagnostics = new List<Diagnostic>();
        var documents = YamlDocumentReader.Read("manifest", text, diagnostics);
        if (diagnostics.Any(d => d.IsError) || document >= documents.Count)
        {
            refusal = "the file no longer reads as YAML";
            return null;
        }

        var context = new Context(text, documents[document].Root, documents[document].Map);
        return edit.Remove ? context.Delete(edit.Path, out refusal) : context.Set(edit.Path, edit.Value, out refusal);
    }

    private sealed class Context(string text, JsonNode? root, SourceMap map)
    {
        private readonly string _newline = NewlineOf(text);

        public string? Set(JsonPointer path, JsonNode? value, out string? refusal)
        {
            refusal = null;
            if (map.SpanAt(path.Text) is { } span)
            {
                if (span.Shared || span.ContainsAnchor)
                {
                    refusal = SharedReason;
                    return null;
                }

                return Replace(path, span, value, out refusal);
            }

            // Missing: the deepest ancestor written in the file takes the rest of the path as nested mappings.
            var ancestor = path.Parent;
            var missing = new List<string> { path.LastToken };
            while (map.SpanAt(ancestor.Text) is null && !ancestor.IsRoot)
            {
                missing.Insert(0, ancestor.LastToken);
                ancestor = ancestor.Parent;
            }

            if (map.SpanAt(ancestor.Text) is not { } parent || !ancestor.TryResolve(root, out var parentValue))
            {
                refusal = "the document has no mapping to hold it";
                return null;
            }

            if (parent.Shared)
            {
                refusal = SharedReason;
                return null;
            }

            var nested = value?.DeepClone();
            for (var i = missing.Count - 1; i >= 1; i--)
            {
                nested = new JsonObject { [missing[i]] = nested };
            }

            switch (parentValue)
            {
                case JsonObject obj:
                    return Insert(ancestor, parent, obj, missing[0], nested, out refusal);
                case null when parent.Style == SourceStyle.Plain:
                    return Replace(ancestor, parent, new JsonObject { [missing[0]] = nested }, out refusal);
                default:
                    refusal = $"{Display(ancestor)} is not a mapping in the manifest";
                    return null;
            }
        }

        public string? Delete(JsonPointer path, out string? refusal)
        {
            refusal = null;
            if (map.SpanAt(path.Text) is not { } span || map.KeySpanAt(path.Text) is not { } key)
            {
                return text; // already absent
            }

            var parentPath = path.Parent;
            if (!parentPath.TryResolve(root, out var parentValue) || parentValue is not JsonObject parent || map.SpanAt(parentPath.Text) is not { } parentSpan)
            {
                refusal = "the document has no mapping that holds it";
                return null;
            }

            // A mapping left empty reads as null, which is not "absent": it goes too, up to spec's level.
            if (parent.Count == 1 && parentPath.Tokens.Count > 1)
            {
                return Delete(parentPath, out refusal);
            }

            if (span.Shared || span.ContainsAnchor || parentSpan.Shared)
            {
                refusal = SharedReason;
                return null;
            }

            if (parentSpan.Style == SourceStyle.FlowMapping)
            {
                var keys = parent.Select(p => p.Key).ToList();
                var at = keys.IndexOf(path.LastToken);
                if (at + 1 < keys.Count && map.KeySpanAt(parentPath.Append(keys[at + 1]).Text) is { } next)
                {
                    return Splice(key.Start, next.Start, "");
                }

                if (at > 0 && map.SpanAt(parentPath.Append(keys[at - 1]).Text) is { } previous)
                {
                    return Splice(previous.End, span.End, "");
                }

                return Splice(key.Start, span.End, "");
            }

            var lineStart = LineStart(key.Start);
            if (text.AsSpan(lineStart, key.Start - lineStart).Trim(' ').Length > 0)
            {
                refusal = "its key shares a line with other YAML (a list item's first key)";
                return null;
            }

            return Splice(lineStart, LineEnd(ContentEnd(span)), "");
        }

        private string? Insert(JsonPointer parentPath, SourceSpan parent, JsonObject obj, string key, JsonNode? value, out string? refusal)
        {
            refusal = null;
            if (parent.Style == SourceStyle.FlowMapping)
            {
                var entry = ManifestYamlWriter.Key(key) + ": " + Flow(value);
                if (obj.Count == 0)
                {
                    return Splice(parent.Start + 1, parent.Start + 1, entry);
                }

                var lastValue = map.SpanAt(parentPath.Append(obj.Last().Key).Text)!;
                return Splice(lastValue.End, lastValue.End, ", " + entry);
            }

            if (parent.Style != SourceStyle.BlockMapping || obj.Count == 0)
            {
                refusal = $"{Display(parentPath)} is not a mapping in the manifest";
                return null;
            }

            var first = map.KeySpanAt(parentPath.Append(obj.First().Key).Text)!;
            var last = map.SpanAt(parentPath.Append(obj.Last().Key).Text)!;
            var indent = Column(first.Start);
            var at = LineEnd(ContentEnd(last));
            var lead = at == text.Length && at > 0 && text[at - 1] != '\n' ? _newline : "";
            return Splice(at, at, lead + Pad(indent) + ManifestYamlWriter.Key(key) + ":" + AfterColon(value, indent) + _newline);
        }

        private string? Replace(JsonPointer path, SourceSpan span, JsonNode? value, out string? refusal)
        {
            refusal = null;
            var isScalar = value is null or JsonValue;
            var nonEmptyCollection = value is JsonObject { Count: > 0 } or JsonArray { Count: > 0 };
            if (span.InFlow || span.Style is SourceStyle.FlowMapping or SourceStyle.FlowSequence)
            {
                // In a flow collection, or a flow collection itself: the value in flow style.
                return Splice(span.Start, span.End, Flow(value));
            }

            if (span.Style is SourceStyle.Literal or SourceStyle.Folded)
            {
                return ReplaceBlockScalar(path, span, value);
            }

            if (!span.IsCollection && isScalar)
            {
                var scalar = ScalarIn(span.Style, value);
                var space = span.Start == span.End && span.Start > 0 && text[span.Start - 1] == ':' ? " " : "";
                return Splice(span.Start, span.End, space + scalar);
            }

            if (span.IsBlockCollection && nonEmptyCollection && (value is JsonObject) == (span.Style == SourceStyle.BlockMapping))
            {
                return Splice(span.Start, ContentEnd(span), BlockLines(value!, Column(span.Start)));
            }

            // A change of shape (a scalar to a list, a block list to [] ...): the entry's value after its colon.
            if (map.KeySpanAt(path.Text) is { } key && ColonEnd(key) is { } colon)
            {
                return Splice(colon, Math.Max(colon, ContentEnd(span)), AfterColon(value, Column(key.Start)));
            }

            refusal = "its place in the manifest cannot take a value of another shape";
            return null;
        }

        /// <summary>A literal or folded block: the header's indicators and the content lines, the block's indentation kept.</summary>
        private string ReplaceBlockScalar(JsonPointer path, SourceSpan span, JsonNode? value)
        {
            var header = text.IndexOf('\n', span.Start, span.End - span.Start);
            var keep = HeaderChomping(span.Start) == '+';
            var contentStart = header < 0 ? span.End : header + 1;
            var contentEnd = keep ? span.End : LastContentLineEnd(contentStart, span.End);
            var newKeep = value is JsonValue k && k.GetValueKind() == JsonValueKind.String && k.GetValue<string>().EndsWith("\n\n", StringComparison.Ordinal);
            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String || !IsLiteralSafe(v.GetValue<string>()) || header < 0)
            {
                // Not text a literal block can hold: the scalar in double quotes, the line breaks after it kept.
                return Splice(span.Start, ContentEnd(span), ScalarIn(SourceStyle.DoubleQuoted, value));
            }

            // Kept final breaks take the blank lines after the block too: they would read as more of them.
            contentEnd = newKeep ? span.End : contentEnd;
            var s = v.GetValue<string>();
            var parentIndent = map.KeySpanAt(path.Text) is { } key ? Column(key.Start) : 0;
            var indicator = IndentationIndicator(span.Start);
            var indent = indicator is { } explicitIndent ? parentIndent + explicitIndent : ContentIndent(contentStart, contentEnd) ?? parentIndent + Step;
            var body = s.TrimEnd('\n');
            var breaks = s.Length - body.Length;
            var content = new StringBuilder();
            foreach (var line in body.Split('\n'))
            {
                content.Append(line.Length > 0 ? Pad(indent) + line : "").Append(_newline);
            }

            for (var i = 1; i < breaks; i++)
            {
                content.Append(_newline);
            }

            var ended = contentEnd > contentStart && text[contentEnd - 1] == '\n';
            var newContent = ended || breaks > 0 ? content.ToString() : content.ToString(0, content.Length - _newline.Length);

            // The header: '|' with the chomping this text needs; an indentation indicator and a comment are kept.
            var indicatorEnd = span.Start + 1;
            var digit = "";
            while (indicatorEnd < text.Length && text[indicatorEnd] is '+' or '-' or (>= '1' and <= '9'))
            {
                digit += char.IsAsciiDigit(text[indicatorEnd]) ? text[indicatorEnd].ToString() : "";
                indicatorEnd++;
            }

            var chomp = breaks switch { 0 => "-", 1 => "", _ => "+" };
            var edited = text[..span.Start] + "|" + chomp + digit + text[indicatorEnd..contentStart] + newContent + text[contentEnd..];
            return edited;
        }

        private int? IndentationIndicator(int start)
        {
            for (var i = start + 1; i < text.Length && text[i] is '+' or '-' or (>= '1' and <= '9'); i++)
            {
                if (char.IsAsciiDigit(text[i]))
                {
                    return text[i] - '0';
                }
            }

            return null;
        }

        private char HeaderChomping(int start)
        {
            for (var i = start + 1; i < text.Length && text[i] is '+' or '-' or (>= '1' and <= '9'); i++)
            {
                if (text[i] is '+' or '-')
                {
                    return text[i];
                }
            }

            return ' ';
        }

        /// <summary>The end of the last line of a block scalar's content that holds text (its break included).</summary>
        private int LastContentLineEnd(int contentStart, int end)
        {
            var result = contentStart;
            var lineStart = contentStart;
            while (lineStart < end)
            {
                var newline = text.IndexOf('\n', lineStart, end - lineStart);
                var lineEnd = newline < 0 ? end : newline + 1;
                if (text.AsSpan(lineStart, lineEnd - lineStart).Trim(" \t\r\n").Length > 0)
                {
                    result = lineEnd;
                }

                lineStart = lineEnd;
            }

            return result;
        }

        private int? ContentIndent(int contentStart, int contentEnd)
        {
            var lineStart = contentStart;
            while (lineStart < contentEnd)
            {
                var newline = text.IndexOf('\n', lineStart, contentEnd - lineStart);
                var lineEnd = newline < 0 ? contentEnd : newline + 1;
                var line = text.AsSpan(lineStart, lineEnd - lineStart);
                if (line.Trim(" \t\r\n").Length > 0)
                {
                    return line.Length - line.TrimStart(' ').Length;
                }

                lineStart = lineEnd;
            }

            return null;
        }

        /// <summary>What follows "key:" for a value at a mapping whose keys are at <paramref name="indent"/>.</summary>
        private string AfterColon(JsonNode? value, int indent) => value switch
        {
            JsonObject { Count: > 0 } or JsonArray { Count: > 0 } => _newline + Pad(indent + Step) + BlockLines(value, indent + Step),
            JsonValue v when v.GetValueKind() == JsonValueKind.String && IsLiteralSafe(v.GetValue<string>()) && v.GetValue<string>().Contains('\n', StringComparison.Ordinal)
                => " " + Literal(v.GetValue<string>(), indent + Step),
            JsonObject or JsonArray => " " + Flow(value),
            _ => " " + ScalarIn(SourceStyle.Plain, value),
        };

        /// <summary>A non-empty collection in block style, its first line unindented (it starts where the caller is), the others at <paramref name="indent"/>; no final break.</summary>
        private string BlockLines(JsonNode value, int indent)
        {
            var lines = new List<string>();
            switch (value)
            {
                case JsonObject obj:
                    foreach (var (key, child) in obj)
                    {
                        lines.Add(ManifestYamlWriter.Key(key) + ":" + AfterColon(child, indent));
                    }

                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        lines.Add(item is JsonObject { Count: > 0 } or JsonArray { Count: > 0 }
                            ? "- " + BlockLines(item, indent + Step)
                            : "-" + AfterColon(item, indent));
                    }

                    break;
            }

            return string.Join(_newline + Pad(indent), lines);
        }

        /// <summary>A literal block for a value whose content is at <paramref name="indent"/>; the caller ends its last line.</summary>
        private string Literal(string s, int indent)
        {
            var body = s.TrimEnd('\n');
            var breaks = s.Length - body.Length;
            var block = new StringBuilder(breaks switch { 0 => "|-", 1 => "|", _ => "|+" });
            foreach (var line in body.Split('\n'))
            {
                block.Append(_newline);
                if (line.Length > 0)
                {
                    block.Append(' ', indent).Append(line);
                }
            }

            for (var i = 1; i < breaks; i++)
            {
                block.Append(_newline);
            }

            return block.ToString();
        }

        private string Splice(int start, int end, string replacement) => text[..start] + replacement + text[end..];

        private int LineStart(int index)
        {
            var newline = index == 0 ? -1 : text.LastIndexOf('\n', index - 1);
            return newline + 1;
        }

        /// <summary>The index just after the line break that ends the line <paramref name="index"/> is on (the end of the text on the last line).</summary>
        private int LineEnd(int index)
        {
            if (index > 0 && text[index - 1] == '\n')
            {
                return index; // a kept block's end: the line is already ended
            }

            var newline = text.IndexOf('\n', index);
            return newline < 0 ? text.Length : newline + 1;
        }

        private int Column(int index) => index - LineStart(index);

        /// <summary>The end of a value's text without the line breaks and blank lines a block scalar's span takes.</summary>
        private int ContentEnd(SourceSpan span)
        {
            var end = span.End;
            if (span.EndsInKeptBlock)
            {
                return end; // its final breaks are its value
            }

            while (end > span.Start && text[end - 1] is ' ' or '\t' or '\r' or '\n')
            {
                end--;
            }

            return end;
        }

        private int? ColonEnd(SourceSpan key)
        {
            for (var i = key.End; i < text.Length; i++)
            {
                if (text[i] == ':')
                {
                    return i + 1;
                }

                if (text[i] is not (' ' or '\t'))
                {
                    return null;
                }
            }

            return null;
        }
    }

    private const string SharedReason = "it is written through a YAML anchor or alias, so editing it would change other places too";

    private static string Display(JsonPointer pointer) => Validation.FieldPath.Display(pointer);

    private static string Pad(int count) => new(' ', count);

    /// <summary>The file's line break: the first one it has, else '\n'.</summary>
    internal static string NewlineOf(string text)
    {
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return newline > 0 && text[newline - 1] == '\r' ? "\r\n" : "\n";
    }

    /// <summary>Text a literal block holds exactly: the import's rule, and single lines too.</summary>
    private static bool IsLiteralSafe(string s) =>
        ManifestYamlWriter.IsLiteralSafe(s) || (s.Length > 0 && !s.Contains('\n', StringComparison.Ordinal) && ManifestYamlWriter.IsLiteralSafe(s + "\n\n") && s[^1] is not (' ' or '\t'));

    /// <summary>A scalar in <paramref name="style"/> when that style holds it, else double-quoted (non-strings plain).</summary>
    private static string ScalarIn(SourceStyle style, JsonNode? value)
    {
        if (value is not JsonValue v)
        {
            return "null";
        }

        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                var s = v.GetValue<string>();
                return style switch
                {
                    SourceStyle.Plain when ManifestYamlWriter.IsPlainSafe(s, inFlow: false) => s,
                    SourceStyle.SingleQuoted when !s.Contains('\n', StringComparison.Ordinal) && ManifestYamlWriter.IsVisible(s, allowTab: false) && s.Length > 0 && s[0] != ' ' && s[^1] != ' '
                        => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
                    _ => ManifestYamlWriter.DoubleQuoted(s),
                };
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Number:
                return v.ToJsonString();
            default:
                return "null";
        }
    }

    /// <summary>A value in flow style, on one line.</summary>
    private static string Flow(JsonNode? value) => value switch
    {
        JsonObject obj => "{" + string.Join(", ", obj.Select(p => ManifestYamlWriter.Key(p.Key) + ": " + Flow(p.Value))) + "}",
        JsonArray array => "[" + string.Join(", ", array.Select(Flow)) + "]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => ManifestYamlWriter.IsPlainSafe(v.GetValue<string>(), inFlow: true) ? v.GetValue<string>() : ManifestYamlWriter.DoubleQuoted(v.GetValue<string>()),
        _ => ScalarIn(SourceStyle.Plain, value),
    };
}
