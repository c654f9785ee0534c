using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PersonaOps.Core.Adopting;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Adopting;

/// <summary>
/// drift --adopt as a property: a live persona whose prompt (a literal block in the manifest), context
/// (plain), greeting (double-quoted), tags (a flow list) and extra_body (a block mapping) hold random hostile
/// text and values is adopted into a commented manifest, LF or CRLF. Every field is adopted or left for the
/// schema's reason only; the file validates; the comments and the lines before spec are byte for byte; and
/// a plan against the same persona shows no change for what was adopted.
/// </summary>
public sealed class AdoptPropertyTests
{
    private static readonly string[] Pieces =
    [
        "a", "Z", " ", "  ", "\t", "\n", "\r", "\r\n", "\u2028", "\u0085", "\u00a0", "\ufeff", "\u200b", "\u001b",
        "$", "{", "}", "${", "$${", "${env:X}", ":", ": ", "#", " #", "-", "- ", "?", "'", "\"", "\\", "~", ",", "[", "]", "&", "*", "!",
        "|", ">", "%", "@", "`", "<<", "0", "1", "2024", "e3", "0x1F", "null", "true", "yes", "No", "日本", "😀", "---", "...", " *", "&a", "!!str", "\n ", "\n\n",
    ];

    private static readonly Gen<string> Text = Gen.OneOf(Pieces).Array[0, 10].Select(parts => string.Concat(parts));

    private static Gen<JsonNode?> Value(int depth) => depth == 0
        ? Gen.Frequency(
            (4, Text.Select(t => (JsonNode?)JsonValue.Create(t))),
            (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
            (1, Gen.Int[-5, 5].Select(i => (JsonNode?)JsonValue.Create(i))))
        : Gen.Frequency(
            (5, Value(0)),
            (1, Gen.Select(Text, Value(depth - 1)).Array[1, 3].Select(members => (JsonNode?)ToObject(members))),
            (1, Value(depth - 1).Array[1, 4].Select(items => (JsonNode?)new JsonArray([.. items]))));

    private static JsonObject ToObject((string Key, JsonNode? Value)[] members)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in members)
        {
            obj[key.Length == 0 ? "k" : key] = value?.DeepClone();
        }

        return obj;
    }

    private const string Manifest = """
        # A coach.
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach   # who
        spec:
          persona_name: Coach
          # the prompt
          system_prompt: |
            You coach.
            Be kind.

          context: Plain text  # plain
          greeting: "Hi there"
          document_tags: [running, road]
          layers:
            llm:
              model: m
              extra_body:
                temperature: 0.5   # warm
                stop: ["x"]
          # the end

        """;

    [Fact]
    public void HostileLiveValues_AreAdoptedInPlace_OrLeftForTheSchema_AndPlanClean() =>
        Gen.Select(Text, Text, Text, Text.Array[1, 3], Gen.Select(Text, Value(2)).Array[1, 3], Gen.Bool).Sample((prompt, context, greeting, tags, body, crlf) =>
        {
            var text = crlf ? Manifest.Replace("\n", "\r\n", StringComparison.Ordinal) : Manifest;
            var live = new JsonObject
            {
                ["persona_id"] = "p1",
                ["persona_name"] = "Coach",
                ["persona_type"] = "user",
                ["system_prompt"] = prompt.Trim().Length == 0 ? "P" + prompt : prompt,
                ["context"] = context,
                ["greeting"] = greeting,
                ["document_tags"] = new JsonArray(tags.Select(t => t.Length == 0 ? "t" : t).Distinct(StringComparer.Ordinal).Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
                ["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["extra_body"] = ToObject(body) } },
            };
            var file = new SourceFile("personas/coach.yaml", Encoding.UTF8.GetBytes(text));
            var validation = ManifestValidator.Validate([file]);
            validation.HasErrors.ShouldBeFalse();
            var plan = Planner.Create(TestKeys.Target("test"), validation.Manifests, [live], _ => null);
            var report = DriftAdopter.Adopt(plan, validation.Manifests, [live], [file], _ => false);
            report.Left.ShouldAllBe(l => l.Reason.Contains("would make the manifest invalid", StringComparison.Ordinal));

            var written = report.Files.SingleOrDefault()?.Content.ToArray() ?? file.Content.ToArray();
            var after = Encoding.UTF8.GetString(written);
            var newline = crlf ? "\r\n" : "\n";
            after.ShouldStartWith(string.Join(newline, ["# A coach.", "apiVersion: personaops/v1", "kind: Persona", "metadata:", "  name: coach   # who", "spec:", "  persona_name: Coach", "  # the prompt", "  system_prompt: "]));
            after.ShouldEndWith("  # the end" + newline);
            var again = ManifestValidator.Validate([new SourceFile(file.Path, written)]);
            again.HasErrors.ShouldBeFalse(string.Join("\n", again.Diagnostics));
            var replanned = Planner.Create(TestKeys.Target("test"), again.Manifests, [live], _ => null);
            var stillDifferent = replanned.Personas.Single().Changes.Select(c => c.Path).ToArray();
            var leftPaths = report.Left.Select(l => l.Field).ToArray();
            stillDifferent.Select(p => FieldPath.Display(p)).ShouldBe(leftPaths, ignoreOrder: true, after);
        }, iter: 300, print: t => t.ToString());
}
