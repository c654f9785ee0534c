using System.Text.Json.Nodes;
using CsCheck;

namespace PersonaOps.Core.Tests.JsonPatch;

/// <summary>Random JSON trees for property tests: small key alphabets so that documents overlap, and keys with '/' and '~'.</summary>
internal static class JsonGen
{
    private static readonly Gen<string> Key = Gen.OneOf(
        Gen.Const("a"), Gen.Const("b"), Gen.Const("a/b"), Gen.Const("~"), Gen.Const("~1"), Gen.Const("~0/"), Gen.Const(""), Gen.Const("-"), Gen.Const("0"),
        Gen.String[Gen.Char["ab/~01-"], 0, 4]);

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf(
        Gen.Const((JsonNode?)null),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Int[-3, 3].Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Double[-10, 10].Select(d => (JsonNode?)JsonValue.Create(Math.Round(d, 2))),
        Gen.String[Gen.Char["xy~/ é"], 0, 3].Select(s => (JsonNode?)JsonValue.Create(s)));

    public static Gen<JsonNode?> Node(int depth) =>
        depth <= 0
            ? Scalar
            : Gen.Frequency(
                (3, Scalar),
                (2, Node(depth - 1).Array[0, 4].Select(items => (JsonNode?)new JsonArray(items))),
                (3, Gen.Select(Key, Node(depth - 1)).Array[0, 5].Select(ToObject)));

    public static Gen<JsonNode?> Document { get; } = Node(4);

    private static JsonNode? ToObject((string Key, JsonNode? Value)[] members)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in members)
        {
            obj[key] = value;
        }

        return obj;
    }

    /// <summary>The same document with every object's members in reverse order.</summary>
    public static JsonNode? Reordered(JsonNode? node) => node switch
    {
        JsonObject obj => ToObject(obj.Reverse().Select(p => (p.Key, Reordered(p.Value))).ToArray()),
        JsonArray array => new JsonArray(array.Select(Reordered).ToArray()),
        _ => node?.DeepClone(),
    };
}
