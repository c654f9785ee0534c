using System.Text.Json.Nodes;

namespace PersonaOps.Core.JsonPatch;

/// <summary>How the generator treats an array whose contents differ.</summary>
public enum ArrayDiffMode
{
    /// <summary>One <c>replace</c> of the whole array: what Tavus's documented examples send.</summary>
    Whole,

    /// <summary>Operations per element: changed items patched in place, the tail added or removed.</summary>
    ElementWise,
}

/// <summary>Choices the caller makes about the shape of generated patches.</summary>
public sealed record PatchPolicy
{
    /// <summary>Arrays element-wise everywhere: the smallest RFC-level patch.</summary>
    public static PatchPolicy Default { get; } = new();

    /// <summary>Decides, per array location, whether it is replaced whole or patched per element.</summary>
    public Func<JsonPointer, ArrayDiffMode> ArrayMode { get; init; } = _ => ArrayDiffMode.ElementWise;
}

/// <summary>
/// Computes a patch that turns one document into another. Deterministic: object members are visited in
/// ordinal key order, so the same two documents give the same operations in the same order, whatever
/// order their keys were written in. <c>replace</c> is used where the path exists in the source,
/// <c>add</c> where it does not (a missing parent object is added whole), <c>remove</c> for dropped
/// members, and array tails are removed from the end backwards so every path stays valid.
/// </summary>
public static class PatchGenerator
{
    public static JsonPatchDocument Create(JsonNode? source, JsonNode? target, PatchPolicy? policy = null)
    {
        var operations = new List<PatchOperation>();
        Diff(source, target, JsonPointer.Root, policy ?? PatchPolicy.Default, operations);
        return new JsonPatchDocument(operations);
    }

    private static void Diff(JsonNode? source, JsonNode? target, JsonPointer path, PatchPolicy policy, List<PatchOperation> operations)
    {
        switch (source, target)
        {
            case (JsonObject s, JsonObject t):
                DiffObjects(s, t, path, policy, operations);
                return;

            case (JsonArray s, JsonArray t) when policy.ArrayMode(path) == ArrayDiffMode.ElementWise:
                DiffArrays(s, t, path, policy, operations);
                return;

            default:
                if (!JsonEquality.DeepEquals(source, target))
                {
                    operations.Add(PatchOperation.Replace(path, target));
                }

                return;
        }
    }

    private static void DiffObjects(JsonObject source, JsonObject target, JsonPointer path, PatchPolicy policy, List<PatchOperation> operations)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, _) in source)
        {
            keys.Add(key);
        }

        foreach (var (key, _) in target)
        {
            keys.Add(key);
        }

        foreach (var key in keys)
        {
            var child = path.Append(key);
            var inSource = source.TryGetPropertyValue(key, out var s);
            var inTarget = target.TryGetPropertyValue(key, out var t);
            if (inSource && inTarget)
            {
                Diff(s, t, child, policy, operations);
            }
            else if (inSource)
            {
                operations.Add(PatchOperation.Remove(child));
            }
            else
            {
                operations.Add(PatchOperation.Add(child, t));
            }
        }
    }

    private static void DiffArrays(JsonArray source, JsonArray target, JsonPointer path, PatchPolicy policy, List<PatchOperation> operations)
    {
        var common = Math.Min(source.Count, target.Count);
        for (var i = 0; i < common; i++)
        {
            Diff(source[i], target[i], path.Append(i), policy, operations);
        }

        for (var i = source.Count - 1; i >= target.Count; i--)
        {
            operations.Add(PatchOperation.Remove(path.Append(i)));
        }

        for (var i = source.Count; i < target.Count; i++)
        {
            operations.Add(PatchOperation.Add(path.Append(i), target[i]));
        }
    }
}
