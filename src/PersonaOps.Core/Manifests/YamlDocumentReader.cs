using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace PersonaOps.Core.Manifests;

/// <summary>One YAML document of a file, as JSON, with the position of every value.</summary>
public sealed record YamlDocument(int Index, JsonNode? Root, SourceMap Map);

/// <summary>
/// Reads YAML into JSON documents with positions, on YamlDotNet's event parser. The representation
/// model YamlDotNet offers keeps no guard against duplicate keys, alias expansion or depth, so the tree is
/// built here, where each of those limits is enforced with a diagnostic that points at the offending line.
/// Scalars are resolved with YAML 1.2's core schema: <c>yes</c> and <c>on</c> stay strings, as JSON expects.
/// </summary>
public static partial class YamlDocumentReader
{
    /// <summary>Deeper nesting than this is refused: no persona needs it, and it guards the stack.</summary>
    public const int MaxDepth = 64;

    /// <summary>Values a document may expand to through aliases, against "billion laughs" files.</summary>
    public const long MaxExpandedNodes = 100_000;

    public static IReadOnlyList<YamlDocument> Read(string file, string text, List<Diagnostic> diagnostics)
    {
        var documents = new List<YamlDocument>();
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out var start))
            {
                var builder = new TreeBuilder(file, text, diagnostics);
                var root = builder.ReadNode(parser, depth: 1);
                if (root is null && builder.Failed)
                {
                    return documents;
                }

                parser.Consume<DocumentEnd>();
                var map = new SourceMap(ToPosition(start.Start));
                var json = root is null ? null : ToJson(root, "", map, file, diagnostics);
                documents.Add(new YamlDocument(documents.Count, json, map));
            }

            parser.Consume<StreamEnd>();
        }
        catch (YamlException ex)
        {
            var message = Describe(ex);
            var position = message.Contains("tab", StringComparison.OrdinalIgnoreCase)
                ? FirstIndentingTab(text, ToPosition(ex.Start)) ?? ToPosition(ex.End)
                : ToPosition(ex.End); // Start is where the enclosing construct began; End is where the problem was found.
            diagnostics.Add(DiagnosticCatalog.YamlSyntax.At(file, position, message));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's parser throws this, without a position, on some truncated flow collections.
            diagnostics.Add(DiagnosticCatalog.YamlSyntax.At(file, parser.LastPosition,
                "the YAML cannot be parsed past this point; look for an unclosed '[', '{' or quote."));
        }

        return documents;
    }

    private static SourcePosition? FirstIndentingTab(string text, SourcePosition from)
    {
        var lines = text.Split('\n');
        for (var i = Math.Max(0, from.Line - 1); i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indent)
            {
                return new SourcePosition(i + 1, tab + 1);
            }
        }

        return null;
    }

    /// <summary>Remembers where the last event ended, to place errors the parser reports without a position.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public SourcePosition LastPosition { get; private set; } = SourcePosition.Start;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (inner.Current is { } current)
            {
                LastPosition = ToPosition(current.End);
            }

            return inner.MoveNext();
        }
    }

    internal static SourcePosition ToPosition(Mark mark) => new((int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private static string Describe(YamlException ex)
    {
        var message = Spaces().Replace(MarkPrefix().Replace(ex.Message, "").Trim(), " "); // YamlDotNet leaves double spaces in some messages
        if (message.Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            message += " YAML indents with spaces only; replace the tab with spaces.";
        }

        return message.Length == 0 ? "the YAML is malformed" : message;
    }

    // Every pattern here sees user text (YamlDotNet's messages quote it; scalars are the user's), so each
    // runs in .NET's linear-time engine: no input can make it backtrack.
    private static readonly Regex MarkPrefixPattern = new(@"^\s*\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*", Linear);
    private static readonly Regex SpacesPattern = new(@"\s{2,}", Linear);
    private static readonly Regex IntRegex = new(@"^[-+]?[0-9]+$", Linear);
    private static readonly Regex FloatRegex = new(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", Linear);

    private const RegexOptions Linear = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    private static Regex MarkPrefix() => MarkPrefixPattern;

    private static Regex Spaces() => SpacesPattern;

    private static JsonNode? ToJson(Node node, string pointer, SourceMap map, string file, List<Diagnostic> diagnostics, bool shared = false)
    {
        map.AddValue(pointer, node.Start);
        if (node is AliasNode alias)
        {
            // The value written elsewhere: its span is the alias's, and every value under it is shared.
            map.AddSpan(pointer, new SourceSpan(alias.StartIndex, alias.EndIndex, SourceStyle.Alias, node.InFlow, Shared: true, ContainsAnchor: false));
            return ToJson(alias.Target, pointer, map, file, diagnostics, shared: true, spanRecorded: true);
        }

        return ToJson(node, pointer, map, file, diagnostics, shared, spanRecorded: false);
    }

    private static JsonNode? ToJson(Node node, string pointer, SourceMap map, string file, List<Diagnostic> diagnostics, bool shared, bool spanRecorded)
    {
        shared |= node.Anchored;
        if (!spanRecorded)
        {
            map.AddSpan(pointer, new SourceSpan(node.StartIndex, node.EndIndex, node.Style, node.InFlow, shared, node.ContainsAnchor) { EndsInKeptBlock = node.EndsInKeptBlock });
        }

        switch (node)
        {
            case MappingNode mapping:
            {
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Entries)
                {
                    var child = pointer + "/" + JsonPointer.Escape(key.Value);
                    map.AddKey(child, key.Start);
                    map.AddKeySpan(child, new SourceSpan(key.StartIndex, key.EndIndex, key.Style, key.InFlow, shared, ContainsAnchor: false));
                    obj[key.Value] = ToJson(value, child, map, file, diagnostics, shared);
                }

                return obj;
            }

            case SequenceNode sequence:
            {
                var array = new JsonArray();
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    array.Add(ToJson(sequence.Items[i], pointer + "/" + i.ToString(CultureInfo.InvariantCulture), map, file, diagnostics, shared));
                }

                return array;
            }

            case ScalarNode scalar:
                return scalar.Json?.DeepClone();

            default:
                throw new InvalidOperationException("unknown node");
        }
    }

    private abstract class Node(SourcePosition start)
    {
        public SourcePosition Start { get; } = start;

        /// <summary>The number of values this node expands to, aliases followed.</summary>
        public long Size { get; set; } = 1;

        public bool Complete { get; set; }

        /// <summary>Where the node's text starts in the file's text (an offset, not a position).</summary>
        public int StartIndex { get; init; }

        /// <summary>
        /// Where its text ends: after a scalar (a block scalar's trailing breaks included), after a flow
        /// collection's closing bracket, after the last value of a block collection.
        /// </summary>
        public int EndIndex { get; set; }

        public SourceStyle Style { get; init; }

        /// <summary>Inside a flow collection, where ',', '[', ']', '{' and '}' are syntax.</summary>
        public bool InFlow { get; init; }

        /// <summary>The node carries an anchor: editing it would change every alias of it.</summary>
        public bool Anchored { get; set; }

        /// <summary>The node, or a value inside it, carries an anchor.</summary>
        public bool ContainsAnchor { get; set; }

        /// <summary>The node's text ends with a block scalar that keeps its final line breaks (<c>|+</c>): they are its value.</summary>
        public bool EndsInKeptBlock { get; set; }
    }

    private sealed class ScalarNode(SourcePosition start, string value, JsonNode? json) : Node(start)
    {
        public string Value { get; } = value;

        public JsonNode? Json { get; } = json;
    }

    private sealed class SequenceNode(SourcePosition start) : Node(start)
    {
        public List<Node> Items { get; } = [];
    }

    private sealed class MappingNode(SourcePosition start) : Node(start)
    {
        public List<(ScalarNode Key, Node Value)> Entries { get; } = [];
    }

    /// <summary>An alias where it is written (<c>*name</c>): the value is <see cref="Target"/>'s.</summary>
    private sealed class AliasNode(SourcePosition start, Node target) : Node(start)
    {
        public Node Target { get; } = target;
    }

    private static SourceStyle StyleOf(ScalarStyle style) => style switch
    {
        ScalarStyle.SingleQuoted => SourceStyle.SingleQuoted,
        ScalarStyle.DoubleQuoted => SourceStyle.DoubleQuoted,
        ScalarStyle.Literal => SourceStyle.Literal,
        ScalarStyle.Folded => SourceStyle.Folded,
        _ => SourceStyle.Plain,
    };

    private static int Index(Mark mark) => (int)Math.Clamp(mark.Index, 0, int.MaxValue);

    private sealed class TreeBuilder(string file, string text, List<Diagnostic> diagnostics)
    {
        private readonly Dictionary<string, Node> _anchors = new(StringComparer.Ordinal);
        private long _expanded;
        private int _flow;

        public bool Failed { get; private set; }

        /// <summary>Reads one node; null with <see cref="Failed"/> set when the document had to be abandoned.</summary>
        public Node? ReadNode(IParser parser, int depth)
        {
            var current = parser.Current ?? throw new YamlException("unexpected end of the YAML stream");
            var position = ToPosition(current.Start);
            if (depth > MaxDepth)
            {
                return Fail(DiagnosticCatalog.NestingTooDeep, position,
                    $"values are nested more than {MaxDepth} levels deep here; a persona manifest needs far fewer.");
            }

            switch (current)
            {
                case AnchorAlias alias:
                {
                    parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        return Fail(DiagnosticCatalog.YamlSyntax, position, $"the alias *{alias.Value.Value} refers to no anchor defined before it.");
                    }

                    if (!target.Complete)
                    {
                        return Fail(DiagnosticCatalog.UnsupportedYaml, position, $"the alias *{alias.Value.Value} refers to a value that contains it; recursive YAML has no JSON form.");
                    }

                    if (!Count(target.Size))
                    {
                        return Fail(DiagnosticCatalog.AliasExpansion, position,
                            $"aliases expand this document beyond {MaxExpandedNodes:N0} values (the alias *{alias.Value.Value} alone adds {target.Size:N0}). This looks like an alias bomb; write the values out or use fewer aliases.");
                    }

                    return new AliasNode(position, target)
                    {
                        Size = target.Size, Complete = true, StartIndex = Index(alias.Start), EndIndex = Index(alias.End), Style = SourceStyle.Alias, InFlow = _flow > 0,
                    };
                }

                case Scalar scalar:
                {
                    parser.MoveNext();
                    if (!Count(1))
                    {
                        return Fail(DiagnosticCatalog.AliasExpansion, position, $"the document holds more than {MaxExpandedNodes:N0} values.");
                    }

                    var json = Resolve(scalar, position, out var error);
                    if (error is not null)
                    {
                        return Fail(DiagnosticCatalog.UnsupportedYaml, position, error);
                    }

                    var node = new ScalarNode(position, scalar.Value, json)
                    {
                        Complete = true, StartIndex = Index(scalar.Start), EndIndex = Index(scalar.End), Style = StyleOf(scalar.Style), InFlow = _flow > 0,
                        Anchored = !scalar.Anchor.IsEmpty, ContainsAnchor = !scalar.Anchor.IsEmpty,
                        EndsInKeptBlock = scalar.Style is ScalarStyle.Literal or ScalarStyle.Folded && KeepsBreaks(Index(scalar.Start)),
                    };
                    Remember(scalar.Anchor, node);
                    return node;
                }

                case SequenceStart start:
                {
                    parser.MoveNext();
                    if (!CheckTag(start.Tag, "seq", position) || !Count(1))
                    {
                        return Failed ? null : Fail(DiagnosticCatalog.AliasExpansion, position, $"the document holds more than {MaxExpandedNodes:N0} values.");
                    }

                    var flow = start.Style == SequenceStyle.Flow;
                    var node = new SequenceNode(position)
                    {
                        StartIndex = Index(start.Start), EndIndex = Index(start.End), Style = flow ? SourceStyle.FlowSequence : SourceStyle.BlockSequence, InFlow = _flow > 0,
                        Anchored = !start.Anchor.IsEmpty, ContainsAnchor = !start.Anchor.IsEmpty,
                    };
                    Remember(start.Anchor, node);
                    _flow += flow ? 1 : 0;
                    SequenceEnd end;
                    while (!parser.TryConsume(out end!))
                    {
                        var item = ReadNode(parser, depth + 1);
                        if (item is null)
                        {
                            return null;
                        }

                        node.Items.Add(item);
                        node.Size += item.Size;
                        node.EndIndex = item.EndIndex;
                        node.ContainsAnchor |= item.ContainsAnchor;
                        node.EndsInKeptBlock = !flow && item.EndsInKeptBlock;
                    }

                    _flow -= flow ? 1 : 0;
                    node.EndIndex = flow ? Index(end.Start) + 1 : node.EndIndex; // the event's end is before the ']'
                    node.Complete = true;
                    return node;
                }

                case MappingStart start:
                {
                    parser.MoveNext();
                    if (!CheckTag(start.Tag, "map", position) || !Count(1))
                    {
                        return Failed ? null : Fail(DiagnosticCatalog.AliasExpansion, position, $"the document holds more than {MaxExpandedNodes:N0} values.");
                    }

                    var flow = start.Style == MappingStyle.Flow;
                    var node = new MappingNode(position)
                    {
                        StartIndex = Index(start.Start), EndIndex = Index(start.End), Style = flow ? SourceStyle.FlowMapping : SourceStyle.BlockMapping, InFlow = _flow > 0,
                        Anchored = !start.Anchor.IsEmpty, ContainsAnchor = !start.Anchor.IsEmpty,
                    };
                    Remember(start.Anchor, node);
                    _flow += flow ? 1 : 0;
                    var seen = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
                    MappingEnd end;
                    while (!parser.TryConsume(out end!))
                    {
                        var keyEvent = parser.Current;
                        var keyPosition = keyEvent is null ? position : ToPosition(keyEvent.Start);
                        if (keyEvent is not Scalar keyScalar)
                        {
                            return Fail(DiagnosticCatalog.UnsupportedYaml, keyPosition, "mapping keys must be plain strings; a sequence, mapping or alias cannot be a key.");
                        }

                        if (keyScalar is { Value: "<<", Style: ScalarStyle.Plain } && keyScalar.Tag.IsEmpty)
                        {
                            return Fail(DiagnosticCatalog.UnsupportedYaml, keyPosition,
                                "'<<' is a merge key, which YAML 1.2 does not have: PersonaOps would not merge the values, it would send a member named '<<'. Write the values out, or quote the key (\"<<\") for a member of that name.");
                        }

                        parser.MoveNext();
                        var key = new ScalarNode(keyPosition, keyScalar.Value, null)
                        {
                            Complete = true, StartIndex = Index(keyScalar.Start), EndIndex = Index(keyScalar.End), Style = StyleOf(keyScalar.Style), InFlow = _flow > 0,
                        };
                        if (seen.TryGetValue(key.Value, out var first))
                        {
                            return Fail(DiagnosticCatalog.DuplicateKey, keyPosition,
                                $"the key '{key.Value}' appears twice in this mapping (first at line {first.Line}); YAML keys must be unique, and a repeated key would silently drop one value.");
                        }

                        seen.Add(key.Value, keyPosition);
                        var value = ReadNode(parser, depth + 1);
                        if (value is null)
                        {
                            return null;
                        }

                        node.Entries.Add((key, value));
                        node.Size += value.Size;
                        node.EndIndex = value.EndIndex;
                        node.ContainsAnchor |= value.ContainsAnchor;
                        node.EndsInKeptBlock = !flow && value.EndsInKeptBlock;
                    }

                    _flow -= flow ? 1 : 0;
                    node.EndIndex = flow ? Index(end.Start) + 1 : node.EndIndex; // the event's end is before the '}'
                    node.Complete = true;
                    return node;
                }

                default:
                    throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
            }
        }

        /// <summary>A block scalar's header at <paramref name="start"/> ('|' or '>') holds the keep indicator '+'.</summary>
        private bool KeepsBreaks(int start)
        {
            for (var i = start + 1; i < text.Length && text[i] is '+' or '-' or (>= '1' and <= '9'); i++)
            {
                if (text[i] == '+')
                {
                    return true;
                }
            }

            return false;
        }

        private bool Count(long nodes)
        {
            _expanded += nodes;
            return _expanded <= MaxExpandedNodes;
        }

        private void Remember(AnchorName anchor, Node node)
        {
            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node;
            }
        }

        private bool CheckTag(TagName tag, string expected, SourcePosition position)
        {
            if (tag.IsEmpty || tag.IsNonSpecific || tag.Value == "tag:yaml.org,2002:" + expected)
            {
                return true;
            }

            Fail(DiagnosticCatalog.UnsupportedYaml, position, $"the tag {tag.Value} is not supported; manifests are plain YAML without tags.");
            return false;
        }

        private Node? Fail(DiagnosticDescriptor descriptor, SourcePosition position, string message)
        {
            diagnostics.Add(descriptor.At(file, position, message));
            Failed = true;
            return null;
        }
    }

    /// <summary>YAML 1.2 core schema resolution of one scalar to a JSON value.</summary>
    private static JsonValue? Resolve(Scalar scalar, SourcePosition position, out string? error)
    {
        error = null;
        var value = scalar.Value;
        var tag = scalar.Tag;
        if (!tag.IsEmpty && !tag.IsNonSpecific)
        {
            switch (tag.Value)
            {
                case "tag:yaml.org,2002:str":
                    return JsonValue.Create(value);
                case "tag:yaml.org,2002:null":
                case "tag:yaml.org,2002:bool":
                case "tag:yaml.org,2002:int":
                case "tag:yaml.org,2002:float":
                    var resolved = ResolvePlain(value, out var ok);
                    if (!ok || resolved is null != (tag.Value == "tag:yaml.org,2002:null"))
                    {
                        error = $"'{value}' is not a valid {tag.Value["tag:yaml.org,2002:".Length..]}.";
                    }

                    return resolved;
                default:
                    error = $"the tag {tag.Value} is not supported; manifests are plain YAML without tags.";
                    return null;
            }
        }

        if (scalar.Style != ScalarStyle.Plain || tag.IsNonSpecific && !scalar.IsPlainImplicit)
        {
            return JsonValue.Create(value);
        }

        var json = ResolvePlain(value, out var valid);
        if (!valid)
        {
            error = $"'{value}' is not a number JSON can hold (no infinity, NaN, or integer beyond 28 digits); quote it to make it a string.";
        }

        _ = position;
        return json;
    }

    private static JsonValue? ResolvePlain(string value, out bool valid)
    {
        valid = true;
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                valid = false;
                return null;
        }

        if (IntPattern().IsMatch(value))
        {
            if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return JsonValue.Create(l);
            }

            if (decimal.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
            {
                return JsonValue.Create(big);
            }

            valid = false;
            return null;
        }

        // Unsigned, as YAML means them: 0x8000000000000000 is 2^63, not the negative number two's complement gives.
        var radix = value.StartsWith("0x", StringComparison.Ordinal) ? 16 : value.StartsWith("0o", StringComparison.Ordinal) ? 8 : 0;
        if (radix > 0 && value.Length > 2 && value.AsSpan(2).IndexOfAnyExcept(radix == 16 ? "0123456789abcdefABCDEF" : "01234567") < 0)
        {
            var number = System.Numerics.BigInteger.Zero;
            foreach (var digit in value.AsSpan(2))
            {
                number = (number * radix) + (char.IsAsciiDigit(digit) ? digit - '0' : (digit | 0x20) - 'a' + 10);
                if (number > (System.Numerics.BigInteger)decimal.MaxValue)
                {
                    valid = false;
                    return null;
                }
            }

            return number <= long.MaxValue ? JsonValue.Create((long)number) : JsonValue.Create((decimal)number);
        }

        if (FloatPattern().IsMatch(value))
        {
            if (decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            {
                return JsonValue.Create(d);
            }

            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && double.IsFinite(f))
            {
                return JsonValue.Create(f);
            }

            valid = false;
            return null;
        }

        return JsonValue.Create(value);
    }

    private static Regex IntPattern() => IntRegex;

    private static Regex FloatPattern() => FloatRegex;
}
