using System.Text;

namespace PersonaOps.Core.Manifests;

/// <summary>
/// <c>${env:NAME}</c> references inside manifest strings. <c>$${</c> is a literal <c>${</c>. Any other
/// <c>${</c> is malformed, so a typo cannot silently become a literal in a prompt or a key.
/// </summary>
public static class EnvReference
{
    /// <summary>A piece of a string: literal text, or the name of an environment variable.</summary>
    public readonly record struct Part(string Text, bool IsReference);

    /// <summary>Splits <paramref name="value"/> into literal text and references; false with an explanation when malformed.</summary>
    public static bool TryParse(string value, out IReadOnlyList<Part> parts, out string? error)
    {
        var result = new List<Part>();
        var literal = new StringBuilder();
        error = null;
        var i = 0;
        while (i < value.Length)
        {
            if (value[i] == '$' && i + 2 < value.Length && value[i + 1] == '$' && value[i + 2] == '{')
            {
                literal.Append("${");
                i += 3;
                continue;
            }

            if (value[i] == '$' && i + 1 < value.Length && value[i + 1] == '{')
            {
                var end = value.IndexOf('}', i + 2);
                var body = end < 0 ? value[(i + 2)..] : value[(i + 2)..end];
                if (end < 0 || !body.StartsWith("env:", StringComparison.Ordinal) || !IsVariableName(body.AsSpan(4)))
                {
                    var shown = end < 0 ? "${" + Truncate(body) : "${" + Truncate(body) + "}";
                    error = end < 0
                        ? $"'{shown}' is not closed; write ${{env:NAME}}, or $${{ for a literal '${{'"
                        : $"'{shown}' is not a valid reference; write ${{env:NAME}} with NAME made of letters, digits and '_' (not starting with a digit), or $${{ for a literal '${{'";
                    parts = [];
                    return false;
                }

                if (literal.Length > 0)
                {
                    result.Add(new Part(literal.ToString(), false));
                    literal.Clear();
                }

                result.Add(new Part(body[4..], true));
                i = end + 1;
                continue;
            }

            literal.Append(value[i]);
            i++;
        }

        if (literal.Length > 0)
        {
            result.Add(new Part(literal.ToString(), false));
        }

        parts = result;
        return true;
    }

    /// <summary>
    /// The variable name PersonaOps suggests for a secret field: LLM_API_KEY, TTS_API_KEY, or
    /// LLM_HEADER_&lt;NAME&gt; for a value of layers.llm.headers.
    /// </summary>
    public static string SuggestVariable(JsonPatch.JsonPointer secret)
    {
        var tokens = secret.Tokens;
        if (tokens.Count >= 3 && tokens[^2] == "headers")
        {
            return "LLM_HEADER_" + new string(tokens[^1].Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());
        }

        return tokens.Count >= 3 && tokens[^2] == "tts" ? "TTS_API_KEY" : "LLM_API_KEY";
    }

    /// <summary>True when the string holds at least one reference.</summary>
    public static bool HasReference(string value) =>
        TryParse(value, out var parts, out _) && parts.Any(p => p.IsReference);

    /// <summary>
    /// The value of variable <paramref name="name"/>, or null when it is not set or is empty: CI fills a
    /// variable whose secret it does not have with "", and such a value is never sent or matched.
    /// </summary>
    public static string? Lookup(Func<string, string?> environment, string name) =>
        environment(name) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// Replaces each reference with its variable's value. Returns null and names the first missing
    /// variable when one is not set or is empty (<see cref="Lookup"/>).
    /// </summary>
    public static string? Resolve(string value, Func<string, string?> lookup, out string? missing)
    {
        missing = null;
        if (!TryParse(value, out var parts, out _))
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var part in parts)
        {
            if (!part.IsReference)
            {
                text.Append(part.Text);
                continue;
            }

            var resolved = Lookup(lookup, part.Text);
            if (resolved is null)
            {
                missing = part.Text;
                return null;
            }

            text.Append(resolved);
        }

        return text.ToString();
    }

    private static bool IsVariableName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    private static string Truncate(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
