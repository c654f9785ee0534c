using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace PersonaOps.Core.JsonPatch;

/// <summary>
/// A JSON Pointer (RFC 6901): a path of reference tokens into a JSON document. Immutable; equal
/// pointers have equal tokens. <c>""</c> is the whole document, <c>/a~1b/0</c> is key <c>a/b</c>, index 0.
/// </summary>
public sealed class JsonPointer : IEquatable<JsonPointer>
{
    private readonly string[] _tokens;

    private JsonPointer(string[] tokens, string text)
    {
        _tokens = tokens;
        Text = text;
    }

    public static JsonPointer Root { get; } = new([], "");

    /// <summary>The unescaped reference tokens.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>The pointer in its escaped string form.</summary>
    public string Text { get; }

    public bool IsRoot => _tokens.Length == 0;

    public JsonPointer Parent => _tokens.Length == 0 ? this : FromTokens(_tokens[..^1]);

    public string LastToken => _tokens.Length == 0 ? "" : _tokens[^1];

    public static JsonPointer Parse(string text) =>
        TryParse(text, out var pointer, out var error) ? pointer : throw new FormatException(error);

    public static bool TryParse(string text, [NotNullWhen(true)] out JsonPointer? pointer, [NotNullWhen(false)] out string? error)
    {
        pointer = null;
        error = null;
        if (text.Length == 0)
        {
            pointer = Root;
            return true;
        }

        if (text[0] != '/')
        {
            error = $"the JSON Pointer '{text}' must be empty or start with '/'";
            return false;
        }

        var raw = text[1..].Split('/');
        var tokens = new string[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var token = raw[i];
            for (var j = token.IndexOf('~', StringComparison.Ordinal); j >= 0; j = token.IndexOf('~', j + 1))
            {
                if (j + 1 >= token.Length || (token[j + 1] != '0' && token[j + 1] != '1'))
                {
                    error = $"the JSON Pointer '{text}' has '~' not followed by '0' or '1'";
                    return false;
                }
            }

            tokens[i] = Unescape(token);
        }

        pointer = new JsonPointer(tokens, text);
        return true;
    }

    public static JsonPointer FromTokens(IEnumerable<string> tokens)
    {
        var array = tokens.ToArray();
        if (array.Length == 0)
        {
            return Root;
        }

        var text = new StringBuilder();
        foreach (var token in array)
        {
            text.Append('/').Append(Escape(token));
        }

        return new JsonPointer(array, text.ToString());
    }

    public JsonPointer Append(string token) => new([.. _tokens, token], Text + "/" + Escape(token));

    public JsonPointer Append(int index) => Append(index.ToString(CultureInfo.InvariantCulture));

    /// <summary>True when this pointer is <paramref name="other"/> or lies beneath it.</summary>
    public bool StartsWith(JsonPointer other) =>
        other._tokens.Length <= _tokens.Length && other._tokens.AsSpan().SequenceEqual(_tokens.AsSpan(0, other._tokens.Length));

    /// <summary>Escapes one reference token: <c>~</c> becomes <c>~0</c>, <c>/</c> becomes <c>~1</c>.</summary>
    public static string Escape(string token) =>
        token.Contains('~', StringComparison.Ordinal) || token.Contains('/', StringComparison.Ordinal)
            ? token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)
            : token;

    /// <summary>Unescapes one reference token, <c>~1</c> before <c>~0</c> as RFC 6901 requires.</summary>
    public static string Unescape(string token) =>
        token.Contains('~', StringComparison.Ordinal)
            ? token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)
            : token;

    /// <summary>
    /// Parses an array index token: digits without leading zeros (RFC 6901 section 4). <c>-</c> is not an
    /// index; callers that accept it (add) check for it first.
    /// </summary>
    public static bool TryParseIndex(string token, out int index)
    {
        index = -1;
        if (token.Length == 0 || token.Length > 10 || (token.Length > 1 && token[0] == '0'))
        {
            return false;
        }

        foreach (var c in token)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>Finds the value at this pointer. A JSON null found is returned as found with a null value.</summary>
    public bool TryResolve(JsonNode? document, out JsonNode? value)
    {
        value = document;
        foreach (var token in _tokens)
        {
            switch (value)
            {
                case JsonObject obj when obj.TryGetPropertyValue(token, out var child):
                    value = child;
                    break;
                case JsonArray array when TryParseIndex(token, out var index) && index < array.Count:
                    value = array[index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }

        return true;
    }

    public bool Equals(JsonPointer? other) => other is not null && _tokens.AsSpan().SequenceEqual(other._tokens);

    public override bool Equals(object? obj) => Equals(obj as JsonPointer);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);

    public override string ToString() => Text;
}
