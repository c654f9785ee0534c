using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Schema;

/// <summary>
/// The schema's editor annotations (for yaml-language-server, draft-07) agree with what PersonaOps itself
/// reads, and sit where a draft-07 reader sees them. <see cref="LanguageServerTests"/> checks the same
/// against the language server itself.
/// </summary>
public sealed class EditorAnnotationTests
{
    private static readonly JsonObject Root = JsonNode.Parse(KindSchema.Persona.Text)!.AsObject();

    /// <summary>Every subschema of the document with its JSON Pointer, walked by keyword (so a property named "if" is not a keyword).</summary>
    private static IEnumerable<(string Pointer, JsonObject Schema)> Subschemas()
    {
        var pending = new Stack<(string, JsonNode?)>();
        pending.Push(("", Root));
        while (pending.Count > 0)
        {
            var (pointer, node) = pending.Pop();
            if (node is not JsonObject schema)
            {
                continue;
            }

            yield return (pointer, schema);
            foreach (var (key, value) in schema)
            {
                switch (key)
                {
                    case "properties" or "definitions" or "patternProperties" when value is JsonObject map:
                        foreach (var (name, child) in map)
                        {
                            pending.Push(($"{pointer}/{key}/{name}", child));
                        }

                        break;
                    case "allOf" or "anyOf" or "oneOf" when value is JsonArray list:
                        for (var i = 0; i < list.Count; i++)
                        {
                            pending.Push(($"{pointer}/{key}/{i}", list[i]));
                        }

                        break;
                    case "items" or "additionalProperties" or "not" or "if" or "then" or "else":
                        pending.Push(($"{pointer}/{key}", value));
                        break;
                }
            }
        }
    }

    /// <summary>Every field of spec, walked through SchemaField as the validator and the diff see it, with its dotted path.</summary>
    private static IEnumerable<(string Path, SchemaField Field)> SpecFields()
    {
        var pending = new Stack<(string, SchemaField)>();
        pending.Push(("spec", KindSchema.Persona.Spec));
        while (pending.Count > 0)
        {
            var (path, field) = pending.Pop();
            yield return (path, field);
            foreach (var name in field.PropertyNames)
            {
                pending.Push(($"{path}.{name}", field.Member(name)!));
            }

            if (field.Items is { PropertyCount: > 0 } items)
            {
                pending.Push(($"{path}[]", items));
            }
        }
    }

    /// <summary>The property object in the schema's text that declares spec field <paramref name="path"/> (dotted, from spec).</summary>
    private static JsonObject Declared(string path)
    {
        JsonObject schema = Root["properties"]!["spec"]!.AsObject();
        foreach (var token in path.Split('.').Skip(1))
        {
            schema = Resolve(schema)["properties"]![token.TrimEnd('[', ']')]!.AsObject();
            if (token.EndsWith("[]", StringComparison.Ordinal))
            {
                schema = Resolve(schema)["items"]!.AsObject();
            }
        }

        return schema;
    }

    /// <summary>Follows a $ref, or a single-reference allOf wrapper, to the definition.</summary>
    private static JsonObject Resolve(JsonObject schema)
    {
        while (true)
        {
            var reference = schema["$ref"] ?? (schema["allOf"] is JsonArray { Count: 1 } wrapper ? wrapper[0]?["$ref"] : null);
            if (reference is null)
            {
                return schema;
            }

            schema = Root["definitions"]![reference.GetValue<string>()["#/definitions/".Length..]]!.AsObject();
        }
    }

    [Fact]
    public void NoKeyword_SitsBesideARef()
    {
        // Draft-07 ignores every keyword beside a $ref, and yaml-language-server strips them: a property
        // that needs its own description, default or deprecation wraps the reference as allOf: [{ $ref }].
        var offenders = Subschemas().Where(s => s.Schema.ContainsKey("$ref") && s.Schema.Count > 1).Select(s => s.Pointer).ToArray();
        offenders.ShouldBeEmpty();
    }

    [Fact]
    public void TheSchema_UsesNoKeywordNJsonSchemaSkips_ExceptEditorOnlyDeprecationBranches()
    {
        // NJsonSchema skips these keywords, so a constraint written with them would silently not apply in
        // PersonaOps. if/then appears only as an editor annotation: if the value is one of these, then
        // show this deprecationMessage; it constrains nothing, so skipping it changes no result.
        string[] skipped = ["const", "if", "then", "else", "dependentRequired", "dependentSchemas", "contains", "propertyNames", "prefixItems", "unevaluatedProperties", "$defs"];
        var branches = 0;
        foreach (var (pointer, schema) in Subschemas())
        {
            if (schema.ContainsKey("if"))
            {
                string.Join(",", schema.Select(p => p.Key).Order(StringComparer.Ordinal)).ShouldBe("if,then", $"{pointer}: an editor branch holds if and then only");
                string.Join(",", schema["if"]!.AsObject().Select(p => p.Key)).ShouldBe("enum", $"{pointer}/if tests values only");
                string.Join(",", schema["then"]!.AsObject().Select(p => p.Key)).ShouldBe("deprecationMessage", $"{pointer}/then only annotates");
                branches++;
                continue;
            }

            if (pointer.EndsWith("/if", StringComparison.Ordinal) || pointer.EndsWith("/then", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var keyword in skipped)
            {
                schema.ContainsKey(keyword).ShouldBeFalse($"{pointer} uses {keyword}, which NJsonSchema skips");
            }
        }

        branches.ShouldBe(SpecFields().Sum(f => f.Field.DeprecatedValues.Count));
    }

    [Fact]
    public void EveryServerOwnedField_IsKeptOutOfCompletion()
    {
        var serverOwned = SpecFields().Where(f => f.Field.IsReadOnly).Select(f => f.Path).ToArray();
        serverOwned.ShouldContain("spec.persona_id");
        serverOwned.ShouldContain("spec.created_at");
        foreach (var path in serverOwned)
        {
            (Declared(path)["doNotSuggest"]?.GetValue<bool>() ?? false).ShouldBeTrue($"{path} is server-owned: doNotSuggest keeps it out of completion");
        }

        // And only those: an ordinary field is offered.
        var hidden = SpecFields().Where(f => Declared(f.Path)["doNotSuggest"] is not null).Select(f => f.Path);
        hidden.ShouldBe(serverOwned, ignoreOrder: true);
    }

    [Fact]
    public void EveryDeprecatedField_CarriesTheMessagePersonaOpsPrints()
    {
        // The editor's text is the PO4001 warning's, after the field's path: one manifest sets every
        // deprecated field, and each warning must read "<path> is <deprecationMessage, lower-cased first letter>".
        var deprecated = SpecFields().Where(f => f.Field.Deprecation is not null).Select(f => f.Path).ToArray();
        deprecated.Length.ShouldBeGreaterThanOrEqualTo(10);

        var spec = new JsonObject { ["persona_name"] = "Old", ["system_prompt"] = "Hello." };
        foreach (var path in deprecated)
        {
            var parent = spec;
            var tokens = path.Split('.')[1..];
            foreach (var token in tokens[..^1])
            {
                parent = (parent[token] ??= new JsonObject()).AsObject();
            }

            parent[tokens[^1]] = SampleValue(KindSchema.Persona.Spec, tokens);
        }

        var manifest = new JsonObject { ["apiVersion"] = "personaops/v1", ["kind"] = "Persona", ["metadata"] = new JsonObject { ["name"] = "old" }, ["spec"] = spec };
        var result = ManifestValidator.Validate([new SourceFile("old.yaml", Encoding.UTF8.GetBytes(manifest.ToJsonString()))]);
        result.HasErrors.ShouldBeFalse(string.Join("\n", result.Diagnostics));
        var warnings = result.Diagnostics.Where(d => d.Code == "PO4001").Select(d => d.Message).ToArray();
        warnings.Length.ShouldBe(deprecated.Length, string.Join("\n", result.Diagnostics));

        foreach (var path in deprecated)
        {
            var message = Declared(path)["deprecationMessage"]?.GetValue<string>();
            message.ShouldNotBeNull($"{path} is deprecated: deprecationMessage shows it in editors");
            message.ShouldStartWith("Deprecated");
            warnings.ShouldContain($"{path} is {char.ToLowerInvariant(message[0])}{message[1..]}");
        }

        // Nothing else is marked deprecated for editors.
        SpecFields().Count(f => Declared(f.Path)["deprecationMessage"] is not null).ShouldBe(deprecated.Length);
    }

    [Fact]
    public void EveryDeprecatedValue_HasAnEditorBranch_WithThePO4002Reason()
    {
        var fields = SpecFields().Where(f => f.Field.DeprecatedValues.Count > 0).ToArray();
        fields.Select(f => f.Path).ShouldBe(new[] { "spec.layers.llm.model", "spec.layers.perception.perception_model", "spec.layers.stt.stt_engine", "spec.layers.tts.tts_engine" }, ignoreOrder: true);
        foreach (var (path, field) in fields)
        {
            var branches = Declared(path)["allOf"]!.AsArray()
                .Select(b => (Values: b!["if"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray(), Message: b["then"]!["deprecationMessage"]!.GetValue<string>()))
                .ToArray();
            branches.Length.ShouldBe(field.DeprecatedValues.Count, path);
            foreach (var (value, reason) in field.DeprecatedValues)
            {
                branches.ShouldContain(b => b.Values.SequenceEqual(new[] { value }) && b.Message == $"'{value}' is {reason}.", $"{path}: {value}");

                // A deprecated value is still accepted.
                if (field.Schema.IsEnumeration)
                {
                    field.Schema.Enumeration.ShouldContain(value);
                }
            }
        }
    }

    [Theory]
    [InlineData("disclosure_type", "auto")]
    [InlineData("verbal_disclosure", "auto")]
    [InlineData("layers/conversational_flow/turn_taking_patience", "medium")]
    [InlineData("layers/conversational_flow/active_listening", "medium")]
    public void WrappedReferences_KeepTheirDefaultsAndEnums(string path, string expected)
    {
        var field = Field(path);
        field.Default.ShouldBe(expected);
        field.Schema.Enumeration.ShouldContain(expected);
    }

    [Fact]
    public void WrappedReferences_KeepTheirAnnotations()
    {
        Field("layers/perception/perception_tools").Deprecation!.Replacement.ShouldBe("visual_tools");
        Field("layers/perception/perception_tools").Compare.ShouldBe(CompareMode.Set);
        Field("layers/perception/perception_tools").SetKey.ShouldBe("/function/name");
        Field("layers/perception/visual_tools").Items!.Member("function")!.Member("name").ShouldNotBeNull();
        Field("layers/perception/ambient_awareness_queries").Deprecation!.Since.ShouldBe("2026-02");
        Field("layers/perception/ambient_awareness_queries").Items!.MaxLengthWarning.ShouldBe(1000);
        Field("layers/perception/visual_awareness_queries").Items!.MaxLengthWarning.ShouldBe(1000);
    }

    private static SchemaField Field(string path) =>
        path.Split('/').Aggregate(KindSchema.Persona.Spec, (field, token) => field.Member(token) ?? throw new ShouldAssertException($"no {token} in {path}"));

    /// <summary>A value of the field's type that passes the schema (its default or first enum value where it has one).</summary>
    private static JsonNode SampleValue(SchemaField spec, string[] tokens)
    {
        var field = tokens.Aggregate(spec, (f, t) => f.Member(t)!);
        if (field.Schema.IsEnumeration)
        {
            return JsonValue.Create(field.Schema.Enumeration.First()!.ToString())!;
        }

        return field.Schema.Type switch
        {
            NJsonSchema.JsonObjectType.Boolean => JsonValue.Create(true),
            NJsonSchema.JsonObjectType.Array => new JsonArray(),
            _ => JsonValue.Create("text")!,
        };
    }
}
