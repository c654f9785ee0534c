using System.Text.Json.Nodes;
using CsCheck;

namespace PersonaOps.Core.Tests.Importing;

/// <summary>
/// The import round trip as a property: live personas whose prompt, name, model, tags, headers and
/// free-form extra_body hold random hostile text (line separators, CR, tabs, edge spaces, YAML syntax,
/// typed-looking words, references, controls, BOMs, astral characters) import to manifests that validate
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

    private static readonly Gen<JsonNode?> FreeValue = Gen.Frequency(
        (4, Text.Select(t => (JsonNode?)JsonValue.Create(t))),
        (1, Gen.Const((JsonNode?)null)),
        (1, Gen.Int[-5, 5].Select(i => (JsonNode?)JsonValue.Create(i))),
        (1, Gen.Select(Text, Text).Select((k, v) => (JsonNode?)new JsonObject { [k] = v, ["n"] = null })));

    private static readonly Gen<JsonObject> Persona = Gen.Select(
        Text, Text, Text, Text.Array[0, 3],
        Gen.Select(Text, FreeValue).Array[0, 3],
        Text.Array[0, 3],
        Gen.Int[0, 0xFFFFFF], (name, prompt, model, tags, body, headers, id) =>
    {
        var extra = new JsonObject();
        foreach (var (key, value) in body)
        {
            extra[key] = value?.DeepClone();
        }

        var headerMap = new JsonObject();
        foreach (var header in headers)
        {
            headerMap[header] = "secret-value";
        }

        var llm = new JsonObject { ["model"] = model.Length == 0 ? "m" : model, ["extra_body"] = extra, ["headers"] = headerMap };
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
