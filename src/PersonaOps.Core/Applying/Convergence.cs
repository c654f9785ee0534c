using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Applying;

/// <summary>
/// Whether a persona, as Tavus now shows it, is the target of a planned patch on the fields the patch
/// touches, read with the rules the plan itself compares by (so a persona that passes would plan as no
/// change there): absent equals the default and null, "", {} and [] equal absence; arrays compared as sets
/// stay sets (a tool's function.description, which Tavus drops on read-back, is compared only when it comes
/// back); objects are compared member by member, members the patch does not name left alone; a secret
/// Tavus does not return (absent, empty or masked) cannot be compared and is never counted against
/// convergence, while one echoed in clear must be the value sent. A removed field must read as absent (its
/// default, or empty): a masked secret still shows that one is set, as the plan reads it. Pure.
/// </summary>
public static class Convergence
{
    /// <summary>
    /// The fields (JSON Pointers into spec, in patch order, each once) where <paramref name="now"/> is not what
    /// <paramref name="patch"/> makes; empty when it converged. The pointers name fields, never values.
    /// </summary>
    public static IReadOnlyList<string> Unconverged(JsonPatchDocument patch, JsonNode? now, KindSchema? schema = null)
    {
        schema ??= KindSchema.Persona;
        var differing = new List<string>();
        foreach (var op in patch.Operations)
        {
            // An append ("/-") or a copy or move names no place whose value can be read back on its own; the
            // plan makes none (arrays are replaced whole), and a patch that holds one is not judged by it.
            if (op.Op is not (PatchOp.Add or PatchOp.Replace or PatchOp.Remove) || op.Path.IsRoot || op.Path.Tokens.Contains("-"))
            {
                continue;
            }

            var field = schema.At(op.Path);
            var present = op.Path.TryResolve(now, out var actual);
            var converged = op.Op == PatchOp.Remove
                ? !present || PersonaShape.IsEmptyOrAbsent(actual) || field?.IsDefault(actual) == true || field?.IsServerDefault == true
                : Matches(op.Value, present, actual, field);
            if (!converged && !differing.Contains(op.Path.Text))
            {
                differing.Add(op.Path.Text);
            }
        }

        return differing;
    }

    /// <summary>The fields of <paramref name="unconverged"/> as people read them (<c>layers.llm.model</c>), comma-separated.</summary>
    public static string Describe(IEnumerable<string> unconverged) => string.Join(", ", unconverged.Select(Validation.FieldPath.Display));

    private static bool Matches(JsonNode? expected, bool present, JsonNode? actual, SchemaField? field)
    {
        if (field?.IsWriteOnly == true)
        {
            // Not returned, returned empty or masked: not comparable, so not held against the apply.
            return !IsComparableSecret(actual) || JsonEquality.DeepEquals(expected, actual);
        }

        if (expected is JsonObject e && actual is JsonObject a)
        {
            return e.All(member => Matches(member.Value, a.TryGetPropertyValue(member.Key, out var child), child, field?.Member(member.Key)));
        }

        if (expected is JsonObject && (!present || PersonaShape.IsEmptyOrAbsent(actual)))
        {
            // A whole object added where Tavus shows none: converged when every member it names reads as
            // absent would (defaults, empties, secrets Tavus does not return).
            return expected.AsObject().All(member => Matches(member.Value, false, null, field?.Member(member.Key)));
        }

        return PersonaDiff.Equivalent(present ? actual : null, present && actual is not null, expected, field)
            || (PersonaShape.IsEmptyOrAbsent(expected) && PersonaShape.IsEmptyOrAbsent(actual));
    }

    /// <summary>A secret Tavus echoed back as a value that can be compared: a non-empty string that is not a mask.</summary>
    private static bool IsComparableSecret(JsonNode? actual) =>
        actual is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } text && !Secrets.IsMask(text);
}
