using System.Text.Json.Nodes;

namespace PersonaOps.Core.JsonPatch;

/// <summary>The six operations' semantics (RFC 6902 section 4), each on a working copy the caller owns.</summary>
internal static class PatchApplier
{
    /// <summary>Applies one operation to <paramref name="document"/>, returning an error or null.</summary>
    public static string? ApplyInPlace(ref JsonNode? document, PatchOperation operation)
    {
        switch (operation.Op)
        {
            case PatchOp.Add:
                return Add(ref document, operation.Path, operation.Value);

            case PatchOp.Remove:
                return Remove(ref document, operation.Path, out _);

            case PatchOp.Replace:
                if (!operation.Path.TryResolve(document, out _))
                {
                    return $"the path '{operation.Path}' does not exist";
                }

                if (operation.Path.IsRoot)
                {
                    document = operation.Value;
                    return null;
                }

                return Remove(ref document, operation.Path, out _) ?? Add(ref document, operation.Path, operation.Value);

            case PatchOp.Move:
            {
                var from = operation.From!;
                if (!from.TryResolve(document, out _))
                {
                    return $"the 'from' location '{from}' does not exist";
                }

                if (from.Equals(operation.Path))
                {
                    return null;
                }

                if (operation.Path.StartsWith(from))
                {
                    return $"cannot move '{from}' into its own child '{operation.Path}'";
                }

                var removed = Remove(ref document, from, out var value);
                return removed ?? Add(ref document, operation.Path, value);
            }

            case PatchOp.Copy:
            {
                var from = operation.From!;
                if (!from.TryResolve(document, out var value))
                {
                    return $"the 'from' location '{from}' does not exist";
                }

                return Add(ref document, operation.Path, value?.DeepClone());
            }

            case PatchOp.Test:
                if (!operation.Path.TryResolve(document, out var actual))
                {
                    return $"the path '{operation.Path}' does not exist";
                }

                return JsonEquality.DeepEquals(actual, operation.ValueNoClone)
                    ? null
                    : $"the value at '{operation.Path}' is not the expected value";

            default:
                return $"unknown operation {operation.Op}";
        }
    }

    private static string? Add(ref JsonNode? document, JsonPointer path, JsonNode? value)
    {
        if (path.IsRoot)
        {
            document = value;
            return null;
        }

        if (!path.Parent.TryResolve(document, out var parent))
        {
            return $"the parent of '{path}' does not exist";
        }

        var token = path.LastToken;
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                return null;

            case JsonArray array:
                if (token == "-")
                {
                    array.Add(value);
                    return null;
                }

                if (!JsonPointer.TryParseIndex(token, out var index))
                {
                    return $"'{token}' in '{path}' is not an array index";
                }

                if (index > array.Count)
                {
                    return $"index {index} in '{path}' is beyond the end of the array ({array.Count} items)";
                }

                array.Insert(index, value);
                return null;

            default:
                return $"the parent of '{path}' is not an object or array";
        }
    }

    private static string? Remove(ref JsonNode? document, JsonPointer path, out JsonNode? removed)
    {
        removed = null;
        if (path.IsRoot)
        {
            if (document is null)
            {
                return "the document is already empty";
            }

            removed = document;
            document = null;
            return null;
        }

        if (!path.Parent.TryResolve(document, out var parent))
        {
            return $"the path '{path}' does not exist";
        }

        var token = path.LastToken;
        switch (parent)
        {
            case JsonObject obj when obj.TryGetPropertyValue(token, out var child):
                obj.Remove(token);
                removed = child;
                return null;

            case JsonArray array when JsonPointer.TryParseIndex(token, out var index) && index < array.Count:
                removed = array[index];
                array.RemoveAt(index);
                return null;

            default:
                return $"the path '{path}' does not exist";
        }
    }
}
