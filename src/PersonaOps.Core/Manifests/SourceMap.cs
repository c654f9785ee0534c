using PersonaOps.Core.Diagnostics;

namespace PersonaOps.Core.Manifests;

/// <summary>
/// Where each value of a parsed YAML document came from, keyed by JSON Pointer (RFC 6901) from the
/// document root. Diagnostics found on the JSON form of a document are placed back in the file with it.
/// </summary>
public sealed class SourceMap
{
    private readonly Dictionary<string, SourcePosition> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourcePosition> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceSpan> _spans = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceSpan> _keySpans = new(StringComparer.Ordinal);

    public SourceMap(SourcePosition documentStart) => DocumentStart = documentStart;

    public SourcePosition DocumentStart { get; }

    internal void AddValue(string pointer, SourcePosition position) => _values.TryAdd(pointer, position);

    internal void AddKey(string pointer, SourcePosition position) => _keys.TryAdd(pointer, position);

    internal void AddSpan(string pointer, SourceSpan span) => _spans.TryAdd(pointer, span);

    internal void AddKeySpan(string pointer, SourceSpan span) => _keySpans.TryAdd(pointer, span);

    /// <summary>
    /// Copies what <paramref name="source"/> knows of <paramref name="pointer"/> (and, with
    /// <paramref name="subtree"/>, of every value under it) into this map, the positions tagged with
    /// <paramref name="file"/> when it is given (values another file supplied). Spans are copied only with
    /// <paramref name="spans"/>: they place text in the file this map's document was read from.
    /// </summary>
    internal void CopyFrom(SourceMap source, string pointer, bool subtree, string? file, bool spans)
    {
        bool Under(string key) => key == pointer || (subtree && (pointer.Length == 0 || key.StartsWith(pointer + "/", StringComparison.Ordinal)));
        SourcePosition Tag(SourcePosition position) => file is null ? position : position with { File = file };
        foreach (var (key, position) in source._values.Where(e => Under(e.Key)))
        {
            AddValue(key, Tag(position));
        }

        foreach (var (key, position) in source._keys.Where(e => Under(e.Key)))
        {
            AddKey(key, Tag(position));
        }

        if (spans)
        {
            foreach (var (key, span) in source._spans.Where(e => Under(e.Key)))
            {
                AddSpan(key, span);
            }

            foreach (var (key, span) in source._keySpans.Where(e => Under(e.Key)))
            {
                AddKeySpan(key, span);
            }
        }
    }

    /// <summary>Where the text of the value at <paramref name="pointer"/> is, exactly (no ancestor's); null when the document has no such value.</summary>
    public SourceSpan? SpanAt(string pointer) => _spans.TryGetValue(pointer, out var span) ? span : null;

    /// <summary>Where the text of the mapping key that names <paramref name="pointer"/> is; null for the root and for list items.</summary>
    public SourceSpan? KeySpanAt(string pointer) => _keySpans.TryGetValue(pointer, out var span) ? span : null;

    /// <summary>The position of the value at <paramref name="pointer"/>, or of its nearest ancestor that has one.</summary>
    public SourcePosition ValueAt(string pointer)
    {
        var current = pointer;
        while (true)
        {
            if (_values.TryGetValue(current, out var position))
            {
                return position;
            }

            if (current.Length == 0)
            {
                return DocumentStart;
            }

            current = current[..current.LastIndexOf('/')];
        }
    }

    /// <summary>The position of the mapping key that names <paramref name="pointer"/>, else of its value.</summary>
    public SourcePosition KeyAt(string pointer) =>
        _keys.TryGetValue(pointer, out var position) ? position : ValueAt(pointer);
}

/// <summary>How a value is written in YAML.</summary>
public enum SourceStyle
{
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
    BlockMapping,
    FlowMapping,
    BlockSequence,
    FlowSequence,

    /// <summary>An alias (<c>*name</c>): the value is written where its anchor is.</summary>
    Alias,
}

/// <summary>
/// Where a value's text is in the file's text (as decoded: offsets in UTF-16 characters, after any byte
/// order mark), so that it can be rewritten in place. <see cref="End"/> is just after a scalar (a block
/// scalar's trailing line breaks included), after a flow collection's closing bracket, after the last
/// value of a block collection. <see cref="Shared"/>: the value is, or is inside, an anchored value or one
/// reached through an alias, so its text is also the text of another place.
/// </summary>
public sealed record SourceSpan(int Start, int End, SourceStyle Style, bool InFlow, bool Shared, bool ContainsAnchor)
{
    public bool IsCollection => Style is SourceStyle.BlockMapping or SourceStyle.FlowMapping or SourceStyle.BlockSequence or SourceStyle.FlowSequence;

    public bool IsBlockCollection => Style is SourceStyle.BlockMapping or SourceStyle.BlockSequence;

    /// <summary>The text ends with a block scalar that keeps its final line breaks (<c>|+</c>): the breaks before <see cref="End"/> are its value.</summary>
    public bool EndsInKeptBlock { get; init; }
}
