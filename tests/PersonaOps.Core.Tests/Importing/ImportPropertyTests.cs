using System.Text.Json.Nodes;
using CsCheck;

namespace PersonaOps.Core.Tests.Importing;

/// <summary>
/// The import round trip as a property: live personas whose prompt, name, model, tags, headers and
/// free-form extra_body hold random hostile text (line separators, CR, tabs, edge spaces, YAML syntax,
/// typed-looking words, references, controls, BOMs, astral characters), nested lists and objects in
/// extra_body and tool parameters, keys past YAML's implicit-key limit, import to manifests that validate
/// and plan to no changes against the same personas.
/// </summary>
public sealed class ImportPropertyTests
{
    private static readonly string[] Pieces =
    [
        "a", "Z", " ", "  ", "\t", "\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "\u00a0", "\ufeff", "\u200b", "\u0000", "\u001b", "\u007f",
        "$", "{", "}", "${", "$${", "${env:X}", "}", ":", ": ", "#", " #", "-", "- ", "?", "'", "\"", "\\", "~", ",", "[", "]", "&", "*", "!",
        "|", ">", "%", "@", "`", "<<", "=", ".", "0", "1", "2024", "e3", "0x1F", "-01-01", "null", "true", "yes", "No", "on", "日本", "😀",
        "---", "...", "é", " *", "&a", "!!str", "\u202e", "\u00ad", "\ue000", "\uffff", "\u0378", "\t-", "\n ", "\n\t",
    ];

    private static readonly Gen<string> Text = Gen.OneOf(Pieces).Array[0, 10].Select(parts => string.Concat(parts));

    /// <summary>Now and then a key beyond YAML's 1024-character limit for implicit keys.</summary>
    private static readonly Gen<string> Key = Gen.Frequency((12, Text), (1, Text.Select(t => new string('k', 1100) + t)));

    private static Gen<JsonNode?> FreeValue(int depth) => depth == 0
        ? Gen.Frequency(
            (4, Text.Select(t => (JsonNode?)JsonValue.Create(t))),
            (1, Gen.Const((JsonNode?)null)),
            (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
            (1, Gen.Int[-5, 5].Select(i => (JsonNode?)JsonValue.Create(i))))
        : Gen.Frequency(
            (6, FreeValue(0)),
            (1, Gen.Select(Key, FreeValue(depth - 1)).Array[0, 3].Select(members => (JsonNode?)ToObject(members))),
            (1, FreeValue(depth - 1).Array[0, 10].Select(items => (JsonNode?)new JsonArray([.. items]))));

    private static JsonObject ToObject((string Key, JsonNode? Value)[] members)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in members)
        {
            obj[key] = value?.DeepClone();
        }

        return obj;
    }

    private static readonly Gen<JsonNode?> Tool = Gen.Select(Gen.Int[0, 99], Text, Gen.Select(Key, FreeValue(2)).Array[0, 3], (n, description, parameters) =>
        (JsonNode?)new JsonObject
        {
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = $"tool_{n}", ["description"] = description, ["parameters"] = ToObject(parameters) },
        });

    private static readonly Gen<JsonObject> Persona = Gen.Select(
        Text, Text, Text, Text.Array[0, 3],
        Gen.Select(Key, FreeValue(3)).Array[0, 3],
        Gen.Select(Key, Text, Tool.Array[0, 3]),
        Text.Array[0, 3],
        Gen.Int[0, 0xFFFFFF], (name, prompt, model, tags, body, more, headers, id) =>
    {
        var extra = ToObject(body);
        var (queryKey, queryValue, tools) = more;
        var headerMap = new JsonObject();
        foreach (var header in headers)
        {
            headerMap[header] = "secret-value";
        }

        // Tools are told apart by function name: one of each.
        var distinctTools = tools.DistinctBy(t => t!["function"]!["name"]!.GetValue<string>()).Select(t => t?.DeepClone()).ToArray();
        var llm = new JsonObject
        {
            ["model"] = model.Length == 0 ? "m" : model,
            ["extra_body"] = extra,
            ["headers"] = headerMap,
            ["default_query"] = new JsonObject { [queryKey] = queryValue },
            ["tools"] = new JsonArray(distinctTools),
        };
        return ImportRoundTripTests.Live($"p{id:x11}", name, string.IsNullOrWhiteSpace(prompt) ? "P" + prompt : prompt, p =>
        {
            // The schema wants distinct tags of at least one character: a live persona holds no other.
            p["document_tags"] = new JsonArray(tags.Select(t => t.Length == 0 ? "t" : t).Distinct(StringComparer.Ordinal).Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
            p["layers"] = new JsonObject { ["llm"] = llm };
        });
    });

    [Fact]
    public void HostileLivePersonas_ImportToManifestsThatPlanToNoChanges() =>
        Persona.Array[1, 3].Where(ps => ps.Select(p => p["persona_id"]!.GetValue<string>()).Distinct().Count() == ps.Length).Sample(personas =>
        {
            ImportRoundTripTests.RoundTrip(personas);
        }, iter: 400, print: ps => string.Join("\n", ps.Select(p => p.ToJsonString())));
}
