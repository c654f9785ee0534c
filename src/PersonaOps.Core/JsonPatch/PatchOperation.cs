using System.Text.Json.Nodes;

namespace PersonaOps.Core.JsonPatch;

public enum PatchOp
{
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

/// <summary>
/// One RFC 6902 operation, an immutable value made through the factories. <see cref="Value"/> belongs to
/// the operation: callers get clones, so applying a patch never aliases its values into the document.
/// </summary>
public sealed class PatchOperation : IEquatable<PatchOperation>
{
    private readonly JsonNode? _value;

    private PatchOperation(PatchOp op, JsonPointer path, JsonPointer? from, JsonNode? value)
    {
        Op = op;
        Path = path;
        From = from;
        _value = value?.DeepClone();
    }

    public PatchOp Op { get; }

    public JsonPointer Path { get; }

    /// <summary>The source location of <c>move</c> and <c>copy</c>; null for the others.</summary>
    public JsonPointer? From { get; }

    /// <summary>A copy of the operation's value (<c>add</c>, <c>replace</c>, <c>test</c>); null for the others.</summary>
    public JsonNode? Value => _value?.DeepClone();

    internal JsonNode? ValueNoClone => _value;

    public static PatchOperation Add(JsonPointer path, JsonNode? value) => new(PatchOp.Add, path, null, value);

    public static PatchOperation Remove(JsonPointer path) => new(PatchOp.Remove, path, null, null);

    public static PatchOperation Replace(JsonPointer path, JsonNode? value) => new(PatchOp.Replace, path, null, value);

    public static PatchOperation Move(JsonPointer from, JsonPointer path) => new(PatchOp.Move, path, from, null);

    public static PatchOperation Copy(JsonPointer from, JsonPointer path) => new(PatchOp.Copy, path, from, null);

    public static PatchOperation Test(JsonPointer path, JsonNode? value) => new(PatchOp.Test, path, null, value);

    public static string OpName(PatchOp op) => op switch
    {
        PatchOp.Add => "add",
        PatchOp.Remove => "remove",
        PatchOp.Replace => "replace",
        PatchOp.Move => "move",
        PatchOp.Copy => "copy",
        PatchOp.Test => "test",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public bool HasValue => Op is PatchOp.Add or PatchOp.Replace or PatchOp.Test;

    /// <summary>The operation as RFC 6902 writes it: <c>{"op":…,"path":…}</c> with <c>value</c> or <c>from</c>.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["op"] = OpName(Op) };
        if (From is not null)
        {
            obj["from"] = From.Text;
        }

        obj["path"] = Path.Text;
        if (HasValue)
        {
            obj["value"] = Value;
        }

        return obj;
    }

    public bool Equals(PatchOperation? other) =>
        other is not null && Op == other.Op && Path.Equals(other.Path) && Equals(From, other.From) &&
        JsonEquality.DeepEquals(_value, other._value);

    public override bool Equals(object? obj) => Equals(obj as PatchOperation);

    public override int GetHashCode() => HashCode.Combine(Op, Path, From);

    public override string ToString() => ToJson().ToJsonString();
}
