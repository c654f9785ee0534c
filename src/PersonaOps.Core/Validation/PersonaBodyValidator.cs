using System.Text.Json.Nodes;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Validation;

/// <summary>A problem with a persona body: the JSON Pointer of the field and a message.</summary>
public sealed record BodyError(string Pointer, string Message, bool IsUnknownField);

/// <summary>
/// Validates a bare Tavus persona body (what the API receives, not a manifest) against the schema's
/// persona definition. The sandbox uses it to answer as Tavus does.
/// </summary>
public static class PersonaBodyValidator
{
    public static IReadOnlyList<BodyError> Validate(JsonNode? body, KindSchema? schema = null)
    {
        schema ??= KindSchema.Persona;
        return SchemaValidation.ValidateAgainst(body, schema.Spec.Schema)
            .Select(e => new BodyError(e.Pointer, e.Message, e.IsUnknownField))
            .ToArray();
    }
}
