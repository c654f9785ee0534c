using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Schema;

/// <summary>
/// Schema-driven transformations of persona documents: dropping values equal to their defaults (Tavus
/// omits them on read-back and treats them as absent), dropping server-owned fields, and visiting secret
/// fields.
/// </summary>
public static class PersonaShape
{
    /// <summary>A copy of <paramref name="persona"/> without the fields whose value equals the schema's default.</summary>
    public static JsonObject WithoutDefaults(JsonObject persona, KindSchema? schema = null)
    {
        var copy = persona.DeepClone().AsObject();
        RemoveDefaults(copy, (schema ?? KindSchema.Persona).Spec);
        return copy;
    }

    private static void RemoveDefaults(JsonObject obj, SchemaField field)
    {
        foreach (var (key, value) in obj.ToArray())
        {
            if (field.Member(key) is not { } member)
            {
                continue;
            }

            if (member.IsDefault(value))
            {
                obj.Remove(key);
            }
            else if (value is JsonObject child)
            {
                RemoveDefaults(child, member);
            }
        }
    }

    /// <summary>
    /// The rule plan and import share: null, "", {} and [] are the same as absent (Tavus answers with them
    /// for fields never set).
    /// </summary>
    public static bool IsEmptyOrAbsent(JsonNode? node) => node switch
    {
        null => true,
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>().Length == 0,
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        _ => false,
    };

    /// <summary>
    /// A copy of <paramref name="persona"/> without the fields the schema marks readOnly (server-owned:
    /// persona_id, created_at, ...), at any depth: what a body sent to Tavus may not set.
    /// </summary>
    public static JsonObject WithoutServerFields(JsonObject persona, KindSchema? schema = null)
    {
        var copy = persona.DeepClone().AsObject();
        RemoveServerFields(copy, (schema ?? KindSchema.Persona).Spec);
        return copy;
    }

    private static void RemoveServerFields(JsonNode? node, SchemaField field)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToArray())
                {
                    if (field.Member(key) is not { } member)
                    {
                        continue;
                    }

                    if (member.IsReadOnly)
                    {
                        obj.Remove(key);
                    }
                    else
                    {
                        RemoveServerFields(value, member);
                    }
                }

                break;
            case JsonArray array when field.Items is { } items:
                foreach (var item in array)
                {
                    RemoveServerFields(item, items);
                }

                break;
        }
    }

    /// <summary>Calls <paramref name="visit"/> for each value of a field the schema marks writeOnly (a secret).</summary>
    public static void VisitSecrets(JsonNode? persona, Action<JsonPointer, JsonNode?> visit, KindSchema? schema = null) =>
        Visit(persona, JsonPointer.Root, (schema ?? KindSchema.Persona).Spec, f => f.IsWriteOnly, visit);

    private static void Visit(JsonNode? node, JsonPointer pointer, SchemaField field, Func<SchemaField, bool> match, Action<JsonPointer, JsonNode?> visit)
    {
        if (!pointer.IsRoot && match(field))
        {
            visit(pointer, node);
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToArray())
                {
                    if (field.Member(key) is { } member)
                    {
                        Visit(value, pointer.Append(key), member, match, visit);
                    }
                }

                break;
            case JsonArray array when field.Items is { } items:
                for (var i = 0; i < array.Count; i++)
                {
                    Visit(array[i], pointer.Append(i), items, match, visit);
                }

                break;
        }
    }
}
