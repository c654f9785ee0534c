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

    public SourceMap(SourcePosition documentStart) => DocumentStart = documentStart;

    public SourcePosition DocumentStart { get; }

    internal void AddValue(string pointer, SourcePosition position) => _values.TryAdd(pointer, position);

    internal void AddKey(string pointer, SourcePosition position) => _keys.TryAdd(pointer, position);

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
