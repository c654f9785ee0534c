using System.Globalization;
using System.Text;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Validation;

/// <summary>Field locations as people read them: <c>spec.layers.llm.tools[0].function.name</c>.</summary>
public static class FieldPath
{
    public static string Display(string pointer) => Display(JsonPointer.Parse(pointer));

    public static string Display(JsonPointer pointer)
    {
        if (pointer.IsRoot)
        {
            return "the document";
        }

        var text = new StringBuilder();
        foreach (var token in pointer.Tokens)
        {
            if (JsonPointer.TryParseIndex(token, out var index))
            {
                text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else if (token.Length > 0 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                text.Append(text.Length == 0 ? "" : ".").Append(token);
            }
            else
            {
                text.Append("['").Append(token.Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
            }
        }

        return text.ToString();
    }
}
