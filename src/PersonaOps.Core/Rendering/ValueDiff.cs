using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// The structural diff of one changed value, as lines, the way <c>terraform plan</c> shows one: objects key
/// by key, arrays element by element (matched by the schema's <c>x-personaops-key</c>, such as tools by
/// <c>function.name</c>; sets by value; other arrays by position, aligned by a longest common subsequence so
/// that one insertion does not show every later element as changed), multi-line strings by line and long
/// one-line strings by word. Nothing is ever cut: unchanged parts fold into a counted comment, changed parts
/// are shown whole. Secrets arrive masked and stay <c>(sensitive value)</c>.
/// </summary>
internal sealed class ValueDiff(ChangeVoice voice)
{
    /// <summary>Columns one nesting level adds.</summary>
    private const int Step = 4;

    /// <summary>One-line strings longer than this (or marked <c>x-personaops-compare: text</c>) are diffed word by word.</summary>
    private const int LongString = 80;

    /// <summary>True while the children of a value added or removed whole are shown: they need no "-> null" each.</summary>
    private bool _whole;

    public List<ViewLine> Lines { get; } = [];

    /// <summary>
    /// A labelled change at <paramref name="indent"/>; <paramref name="pad"/> aligns sibling labels.
    /// <paramref name="beforeIsNull"/> and <paramref name="afterIsNull"/> say that a null side is a JSON null
    /// that is there, not an absent value (System.Text.Json gives both as null); a labelled change with both
    /// sides null is a value set to JSON null.
    /// </summary>
    public void Field(int indent, string label, int pad, JsonNode? before, JsonNode? after, SchemaField? field, bool sensitive = false, bool beforeIsNull = false, bool afterIsNull = false)
    {
        var prefix = label.Length == 0 ? ""
            : voice == ChangeVoice.Plan ? TextEscape.Changed(label).PadRight(pad) + " = "
            : (TextEscape.Changed(label) + ":").PadRight(pad + 1) + " ";
        if (before is null && after is null && !beforeIsNull && !afterIsNull)
        {
            if (label.Length == 0)
            {
                return;
            }

            afterIsNull = true;
        }

        if (sensitive || field?.IsWriteOnly == true || Masked(before, after))
        {
            Secret(indent, prefix, before, after);
            return;
        }

        if (((before is null && beforeIsNull) || (after is null && afterIsNull)) && before is not (JsonObject or JsonArray) && after is not (JsonObject or JsonArray))
        {
            Scalar(indent, prefix, before, after, before is not null || beforeIsNull, after is not null || afterIsNull);
            return;
        }

        if (before is JsonObject or null && after is JsonObject or null)
        {
            Block(indent, prefix, label, before, after, "{", "}", () => Members(indent + Step, before as JsonObject ?? [], after as JsonObject ?? [], field));
            return;
        }

        if (before is JsonArray or null && after is JsonArray or null)
        {
            Block(indent, prefix, label, before, after, "[", "]", () => Elements(indent + Step, before as JsonArray ?? [], after as JsonArray ?? [], field));
            return;
        }

        var beforeText = SpecStrings.Of(before);
        var afterText = SpecStrings.Of(after);
        if (IsMultiline(beforeText) || IsMultiline(afterText))
        {
            Open(indent, Mark(before, after), prefix, "<<-EOT");
            Lines.AddRange(TextDiff.Lines(beforeText ?? "", afterText ?? "", indent + Step));
            Lines.Add(ViewLine.Of(indent, LineMark.None, "EOT"));
            return;
        }

        if (beforeText is not null && afterText is not null && (field?.Compare == CompareMode.Text || beforeText.Length > LongString || afterText.Length > LongString))
        {
            Open(indent, LineMark.Change, prefix, "<<-EOT");
            Lines[^1] = Lines[^1] with { Segments = [.. Lines[^1].Segments, new Segment("  # one line, wrapped; [-removed-] {+added+} words", SegmentStyle.Comment)] };
            Lines.AddRange(TextDiff.Words(beforeText, afterText, indent + Step));
            Lines.Add(ViewLine.Of(indent, LineMark.None, "EOT"));
            return;
        }

        Scalar(indent, prefix, before, after, before is not null, after is not null);
    }

    private void Members(int indent, JsonObject before, JsonObject after, SchemaField? field)
    {
        var keys = new SortedSet<string>(before.Select(p => p.Key), StringComparer.Ordinal);
        keys.UnionWith(after.Select(p => p.Key));
        var changed = keys.Where(k => !JsonEquality.DeepEquals(before[k], after[k]) || (before.ContainsKey(k) != after.ContainsKey(k))).ToArray();
        var pad = changed.Select(k => TextEscape.Changed(Label(k)).Length).DefaultIfEmpty(0).Max();
        foreach (var key in changed)
        {
            var hasB = before.TryGetPropertyValue(key, out var b);
            var hasA = after.TryGetPropertyValue(key, out var a);
            Field(indent, Label(key), pad, b, a, field?.Member(key), beforeIsNull: hasB && b is null, afterIsNull: hasA && a is null);
        }

        Hidden(indent, keys.Count - changed.Length, "attribute");
    }

    private void Elements(int indent, JsonArray before, JsonArray after, SchemaField? field)
    {
        var items = field?.Items;
        if (field?.Compare == CompareMode.Set)
        {
            var key = field.SetKey is { } k ? JsonPointer.Parse(k) : null;
            string Identity(JsonNode? item) => key is not null && key.TryResolve(item, out var v) ? CanonicalJson.Serialize(v) : CanonicalJson.Serialize(item);
            // Each element of before pairs with at most one of after (a multiset: live may hold two tools of
            // one name, or one id twice); an equal element first, else the first of its key; the rest are removed.
            var old = new Dictionary<string, List<JsonNode?>>(StringComparer.Ordinal);
            foreach (var item in before)
            {
                (old.TryGetValue(Identity(item), out var list) ? list : old[Identity(item)] = []).Add(item);
            }

            var unchanged = 0;
            var pending = new List<JsonNode?>();
            foreach (var item in after)
            {
                if (old.TryGetValue(Identity(item), out var candidates) && candidates.FindIndex(c => JsonEquality.DeepEquals(c, item)) is var equal and >= 0)
                {
                    candidates.RemoveAt(equal);
                    unchanged++;
                }
                else
                {
                    pending.Add(item);
                }
            }

            foreach (var item in pending)
            {
                if (!old.TryGetValue(Identity(item), out var candidates) || candidates.Count == 0)
                {
                    Field(indent, "", 0, null, item, items, afterIsNull: item is null);
                }
                else
                {
                    var match = candidates[0];
                    candidates.RemoveAt(0);
                    var start = Lines.Count;
                    Field(indent, "", 0, match, item, items);
                    if (key is not null && Lines.Count > start)
                    {
                        Lines[start] = Lines[start] with { Segments = [.. Lines[start].Segments, new Segment($"  # {Validation.FieldPath.Display(key)} = {TextEscape.Control(Json(key.TryResolve(item, out var name) ? name : null))}", SegmentStyle.Comment)] };
                    }
                }
            }

            foreach (var item in old.Values.SelectMany(left => left))
            {
                Field(indent, "", 0, item, null, items, beforeIsNull: item is null);
            }

            Hidden(indent, unchanged, "element");
            return;
        }

        var hidden = 0;
        foreach (var (b, a) in ArrayAlignment.Align(before, after))
        {
            if (b is not null && a is not null && JsonEquality.DeepEquals(b.Value, a.Value))
            {
                hidden++;
                continue;
            }

            Field(indent, "", 0, b?.Value, a?.Value, items, beforeIsNull: b is { Value: null }, afterIsNull: a is { Value: null });
        }

        Hidden(indent, hidden, "element");
    }

    private void Secret(int indent, string prefix, JsonNode? before, JsonNode? after)
    {
        var (mark, text) = (before, after, voice) switch
        {
            (null, _, ChangeVoice.Plan) => (LineMark.Add, Secrets.Sensitive),
            (_, null, ChangeVoice.Plan) => (LineMark.Remove, _whole ? Secrets.Sensitive : $"{Secrets.Sensitive} -> null"),
            (null, _, _) => (LineMark.Add, $"in Git {Secrets.Sensitive}, not set live"),
            (_, null, _) => (LineMark.Remove, $"live {Secrets.Sensitive}, not in Git"),
            _ => (LineMark.Change, Secrets.Sensitive),
        };
        Lines.Add(ViewLine.Of(indent, mark, prefix + text));
    }

    /// <summary>A scalar change; <paramref name="hasBefore"/> and <paramref name="hasAfter"/> tell a JSON null from absence.</summary>
    private void Scalar(int indent, string prefix, JsonNode? before, JsonNode? after, bool hasBefore, bool hasAfter)
    {
        var (mark, text) = (hasBefore, hasAfter, voice) switch
        {
            (false, _, ChangeVoice.Plan) => (LineMark.Add, Json(after)),
            (_, false, ChangeVoice.Plan) => (LineMark.Remove, _whole || prefix.Length == 0 ? Json(before) : $"{Json(before)} -> null"),
            (_, _, ChangeVoice.Plan) => (LineMark.Change, $"{Json(before)} -> {Json(after)}"),
            (false, _, _) => (LineMark.Add, _whole ? Json(after) : prefix.Length == 0 ? $"{Json(after)}  # in Git only" : $"in Git {Json(after)}, not set live"),
            (_, false, _) => (LineMark.Remove, _whole ? Json(before) : prefix.Length == 0 ? $"{Json(before)}  # live only" : $"live {Json(before)}, not in Git"),
            _ => (LineMark.Change, $"live {Json(before)}, in Git {Json(after)}"),
        };
        Lines.Add(ViewLine.Of(indent, mark, prefix + TextEscape.Changed(text)));
    }

    /// <summary>
    /// An object or array, opened and closed around its members; added or removed whole, its members need no
    /// mark of their own beyond the block's, and only the outermost removed block says "-> null".
    /// </summary>
    private void Block(int indent, string prefix, string label, JsonNode? before, JsonNode? after, string open, string close, Action members)
    {
        var mark = Mark(before, after);
        Open(indent, mark, prefix, open);
        if (mark == LineMark.Change)
        {
            members();
        }
        else
        {
            Whole(members);
        }

        Lines.Add(ViewLine.Of(indent, LineMark.None, mark == LineMark.Remove && voice == ChangeVoice.Plan && !_whole && label.Length > 0 ? close + " -> null" : close));
    }

    private void Whole(Action children)
    {
        var outer = _whole;
        _whole = true;
        children();
        _whole = outer;
    }

    private void Open(int indent, LineMark mark, string prefix, string opener) => Lines.Add(ViewLine.Of(indent, mark, prefix + opener));

    private void Hidden(int indent, int count, string noun)
    {
        if (count > 0)
        {
            Lines.Add(ViewLine.Of(indent, LineMark.None, $"# ({count} unchanged {noun}{(count == 1 ? "" : "s")} hidden)", SegmentStyle.Comment));
        }
    }

    private static LineMark Mark(JsonNode? before, JsonNode? after) => before is null ? LineMark.Add : after is null ? LineMark.Remove : LineMark.Change;

    /// <summary>An object key as a label: bare when it reads as a name, quoted otherwise (and, as every label, with look-alikes escaped).</summary>
    private static string Label(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? key : Json(JsonValue.Create(key));

    private static bool IsMasked(JsonNode? node) => SpecStrings.Of(node) == Secrets.Sensitive;

    /// <summary>
    /// Both sides masked, or one masked and the other absent: a secret the schema does not name here. One side
    /// reading "(sensitive value)" beside a plain value is no secret (the planner masks both sides of a
    /// secret), only text that reads like the mask, and must not hide the value beside it.
    /// </summary>
    private static bool Masked(JsonNode? before, JsonNode? after) =>
        (IsMasked(before) || IsMasked(after)) && (before is null || IsMasked(before)) && (after is null || IsMasked(after));

    private static bool IsMultiline(string? text) => text is not null && text.Contains('\n', StringComparison.Ordinal);

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A scalar as JSON, whole.</summary>
    internal static string Json(JsonNode? node) => node?.ToJsonString(Relaxed) ?? "null";
}
