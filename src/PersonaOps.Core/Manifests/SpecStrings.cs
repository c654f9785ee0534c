using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Manifests;

/// <summary>
/// The one walk over the strings of a document, for everything that reads or rewrites <c>${env:...}</c>
/// references (resolution, the environment check, the secret binding, import's escaping): each string with
/// its JSON Pointer and whether the schema marks it a secret (a writeOnly field, or inside one).
/// </summary>
public static class SpecStrings
{
    /// <summary>Sees one string; a non-null result replaces it in the document.</summary>
    public delegate string? Visitor(JsonPointer pointer, string text, bool isSecret);

    /// <summary>
    /// Visits every string value of <paramref name="root"/> (object members and array items, depth first, in
    /// document order). <paramref name="schema"/> is the field <paramref name="root"/> is an instance of (for
    /// spec, <see cref="KindSchema.Spec"/>); without it no string counts as a secret.
    /// </summary>
    public static void Walk(JsonNode? root, Visitor visit, SchemaField? schema = null) =>
        Walk(root, JsonPointer.Root, schema, false, visit);

    /// <summary>The text of a JSON string value; null for anything else (absent, null, a number, an object).</summary>
    public static string? Of(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static void Walk(JsonNode? node, JsonPointer pointer, SchemaField? field, bool secret, Visitor visit)
    {
        secret |= !pointer.IsRoot && field?.IsWriteOnly == true;
        switch (node)
        {
            case JsonObject obj:
                List<(string Key, string Text)>? replaced = null;
                foreach (var (key, value) in obj)
                {
                    var child = pointer.Append(key);
                    var member = field?.Member(key);
                    if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        if (visit(child, v.GetValue<string>(), secret || member?.IsWriteOnly == true) is { } text)
                        {
                            (replaced ??= []).Add((key, text));
                        }
                    }
                    else
                    {
                        Walk(value, child, member, secret, visit);
                    }
                }

                foreach (var (key, text) in replaced ?? [])
                {
                    obj[key] = text;
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var child = pointer.Append(i);
                    var items = field?.Items;
                    if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        if (visit(child, v.GetValue<string>(), secret || items?.IsWriteOnly == true) is { } text)
                        {
                            array[i] = text;
                        }
                    }
                    else
                    {
                        Walk(array[i], child, items, secret, visit);
                    }
                }

                break;
        }
    }
}
