using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PersonaOps.Core.JsonPatch;

/// <summary>The outcome of applying a patch: the new document, or which operation failed and why.</summary>
public sealed record PatchResult(bool Succeeded, JsonNode? Document, int FailedOperation, string? Error)
{
    public static PatchResult Success(JsonNode? document) => new(true, document, -1, null);

    public static PatchResult Failure(int index, string error) => new(false, null, index, error);
}

/// <summary>
/// An RFC 6902 JSON Patch: an ordered list of operations. Written here rather than taken from a
/// library because JsonPatch.Net is not obtainable from our package source and the packages that are
/// either build on Newtonsoft.Json or break parts of the RFC (non-atomic apply, copy of plain values,
/// test against null). Applying works on a clone and is all-or-nothing.
/// </summary>
public sealed class JsonPatchDocument : IEquatable<JsonPatchDocument>
{
    public JsonPatchDocument(IEnumerable<PatchOperation> operations) => Operations = operations.ToArray();

    public static JsonPatchDocument Empty { get; } = new([]);

    public IReadOnlyList<PatchOperation> Operations { get; }

    public int Count => Operations.Count;

    /// <summary>Applies every operation to a copy of <paramref name="document"/>; the input is never changed.</summary>
    public PatchResult Apply(JsonNode? document)
    {
        var working = document?.DeepClone();
        for (var i = 0; i < Operations.Count; i++)
        {
            var error = PatchApplier.ApplyInPlace(ref working, Operations[i]);
            if (error is not null)
            {
                return PatchResult.Failure(i, $"operation {i} ({PatchOperation.OpName(Operations[i].Op)} {Describe(Operations[i])}): {error}");
            }
        }

        return PatchResult.Success(working);
    }

    public JsonArray ToJson() => new(Operations.Select(o => (JsonNode?)o.ToJson()).ToArray());

    public string ToJsonString(bool indented = false) =>
        ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = indented });

    /// <summary>Parses a patch from JSON text. Malformed JSON or operations give an error, not an exception.</summary>
    public static bool TryParse(string json, [NotNullWhen(true)] out JsonPatchDocument? patch, [NotNullWhen(false)] out string? error)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            patch = null;
            error = $"the patch is not valid JSON: {ex.Message}";
            return false;
        }

        return TryParse(node, out patch, out error);
    }

    /// <summary>Parses a patch from a JSON array of operation objects.</summary>
    public static bool TryParse(JsonNode? json, [NotNullWhen(true)] out JsonPatchDocument? patch, [NotNullWhen(false)] out string? error)
    {
        patch = null;
        if (json is not JsonArray array)
        {
            error = "a JSON Patch must be an array of operations";
            return false;
        }

        var operations = new List<PatchOperation>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (!TryParseOperation(array[i], out var operation, out var opError))
            {
                error = $"operation {i}: {opError}";
                return false;
            }

            operations.Add(operation);
        }

        patch = new JsonPatchDocument(operations);
        error = null;
        return true;
    }

    private static bool TryParseOperation(JsonNode? node, [NotNullWhen(true)] out PatchOperation? operation, [NotNullWhen(false)] out string? error)
    {
        operation = null;
        if (node is not JsonObject obj)
        {
            error = "an operation must be a JSON object";
            return false;
        }

        Dictionary<string, JsonNode?> members;
        try
        {
            // JsonObject defers duplicate-key detection until the members are read.
            members = obj.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        }
        catch (ArgumentException)
        {
            error = "the operation has a member twice";
            return false;
        }

        if (!TryGetString(members, "op", out var opName, out error) || !TryGetString(members, "path", out var pathText, out error))
        {
            return false;
        }

        if (!JsonPointer.TryParse(pathText, out var path, out var pathError))
        {
            error = $"'path': {pathError}";
            return false;
        }

        PatchOp op;
        switch (opName)
        {
            case "add": op = PatchOp.Add; break;
            case "remove": op = PatchOp.Remove; break;
            case "replace": op = PatchOp.Replace; break;
            case "move": op = PatchOp.Move; break;
            case "copy": op = PatchOp.Copy; break;
            case "test": op = PatchOp.Test; break;
            default:
                error = $"'{opName}' is not an operation (add, remove, replace, move, copy, test)";
                return false;
        }

        if (op is PatchOp.Move or PatchOp.Copy)
        {
            if (!TryGetString(members, "from", out var fromText, out error))
            {
                return false;
            }

            if (!JsonPointer.TryParse(fromText, out var from, out var fromError))
            {
                error = $"'from': {fromError}";
                return false;
            }

            operation = op == PatchOp.Move ? PatchOperation.Move(from, path) : PatchOperation.Copy(from, path);
            error = null;
            return true;
        }

        if (op == PatchOp.Remove)
        {
            operation = PatchOperation.Remove(path);
            error = null;
            return true;
        }

        if (!members.TryGetValue("value", out var value))
        {
            error = $"'{opName}' needs a 'value' member";
            return false;
        }

        operation = op switch
        {
            PatchOp.Add => PatchOperation.Add(path, value),
            PatchOp.Replace => PatchOperation.Replace(path, value),
            _ => PatchOperation.Test(path, value),
        };
        error = null;
        return true;
    }

    private static bool TryGetString(Dictionary<string, JsonNode?> members, string name, [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        if (!members.TryGetValue(name, out var node))
        {
            error = $"the operation has no '{name}' member";
            return false;
        }

        if (node is not JsonValue jsonValue || jsonValue.GetValueKind() != JsonValueKind.String)
        {
            error = $"'{name}' must be a string";
            return false;
        }

        value = jsonValue.GetValue<string>();
        error = null;
        return true;
    }

    private static string Describe(PatchOperation operation) =>
        operation.From is null ? $"'{operation.Path}'" : $"'{operation.From}' to '{operation.Path}'";

    public bool Equals(JsonPatchDocument? other) => other is not null && Operations.SequenceEqual(other.Operations);

    public override bool Equals(object? obj) => Equals(obj as JsonPatchDocument);

    public override int GetHashCode() => Operations.Count;

    public override string ToString() => ToJsonString();
}
