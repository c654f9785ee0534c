using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Importing;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Importing;

/// <summary>
/// Import round trips with hostile live personas, through the whole pure pipeline: live persona ->
/// <see cref="Importer"/> -> YAML -> validation -> plan against the same live persona, which must be
/// "no changes" with no error. Every case here failed once.
/// </summary>
public sealed class ImportRoundTripTests
{
    internal static JsonObject Live(string id, string name, string prompt = "You coach.", Action<JsonObject>? more = null)
    {
        var persona = new JsonObject
        {
            ["persona_id"] = id,
            ["persona_name"] = name,
            ["persona_type"] = "user",
            ["system_prompt"] = prompt,
            ["pipeline_mode"] = "full",
            ["created_at"] = "2026-01-01T00:00:00.000Z",
        };
        more?.Invoke(persona);
        return persona;
    }

    /// <summary>Imports, validates and plans; returns the manifests' text. Fails with everything needed to see why.</summary>
    internal static IReadOnlyList<ImportedManifest> RoundTrip(IReadOnlyList<JsonObject> live, Func<string, string?>? environment = null)
    {
        var imported = Importer.Import(live);
        var shown = string.Join("\n---\n", imported.Select(m => m.Yaml));
        var validation = ManifestValidator.Validate(imported.Select(m => new SourceFile($"personas/{m.Name}.yaml", Encoding.UTF8.GetBytes(m.Yaml))));
        validation.HasErrors.ShouldBeFalse(string.Join("\n", validation.Diagnostics) + "\n" + shown);
        validation.Manifests.Count.ShouldBe(live.Count, shown);

        var plan = Planner.Create(TestKeys.Target("test"), validation.Manifests, live, environment ?? (_ => null));
        plan.Errors.ShouldBeEmpty(string.Join("\n", plan.Errors) + "\n" + shown);
        foreach (var persona in plan.Personas)
        {
            persona.Action.ShouldBe(PlanAction.NoOp, string.Join("\n", persona.Changes.Select(c => $"{c.Path}: {c.Before?.ToJsonString()} -> {c.After?.ToJsonString()}")) + "\n" + shown);
        }

        return imported;
    }

    public static TheoryData<string> TypedLookingTexts =>
    [
        "2024", "True", "yes", "no", "on", "off", "Y", "n", "null", "Null", "~", "", "1e3", "0x1F", "0o17", "0b101", "1_000", "12:30:00",
        "2024-01-01", "2024-01-01T10:00:00Z", ".inf", "-.INF", ".nan", "+1", "-0", ".5", "1.", "<<", "=", "-", "---", "...", "- x", "? x",
        "#hash", "a #b", "a: b", "'q'", "\"dq\"", "*alias", "&anchor", "!tag", "%dir", "@at", "`tick", "|", ">", "[x]", "{x: 1}", ",",
        " lead", "trail ", "\ufeffbom", "Infinity", "NaN",
    ];

    [Theory]
    [MemberData(nameof(TypedLookingTexts))]
    public void NamesThatReadAsOtherTypes_ReadBackAsTheSameStrings(string text)
    {
        // persona_name, a free-form string, a list item, a free-form key: each must read back as the string.
        var live = Live("p0000000000a", text.Length == 0 ? "x" : text, "You coach.", p =>
        {
            p["document_tags"] = new JsonArray(text.Length == 0 ? "x" : text);
            p["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = text.Length == 0 ? "x" : text, ["extra_body"] = new JsonObject { [text] = text } } };
        });

        RoundTrip([live]);
    }

    [Theory]
    [InlineData("2024")]
    [InlineData("1e3")]
    [InlineData("true")]
    [InlineData("null")]
    public void AManifestNamedLikeANumber_IsAStringName_AndItsSecretVariableIsAValidName(string name)
    {
        var live = Live("p0000000000a", name, more: p => p["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["api_key"] = "sk-live" } });

        var manifest = RoundTrip([live], _ => "sk-live").Single();

        manifest.Name.ShouldBe(name);
        manifest.Yaml.ShouldContain($"name: \"{name}\"");
        manifest.Variables.Single().ShouldMatch("^[A-Za-z_][A-Za-z0-9_]*$");
    }

    [Fact]
    public void AnIdThatReadsAsANumber_IsQuoted()
    {
        var manifest = RoundTrip([Live("1e3", "Coach")]).Single();
        manifest.Yaml.ShouldContain("id: \"1e3\"");
    }

    public static TheoryData<string> HostileTexts =>
    [
        "line one\u2028line two", "para\u2029graph", "next\u0085line", "carriage\rreturn", "windows\r\nlines\r\n", "trailing\r",
        "tab\tinside\n\tand leading\n", "\tleading tab", "trailing spaces  \nand more  ", "  leading spaces\nsecond line\n",
        "\n\nleading newlines", "trailing newlines\n\n\n", "no final newline\nsecond", "one final newline\nsecond\n", "\n", "\n\n", " ",
        "\u00a0nbsp\u00a0", "control \u0001 \u001f \u007f chars", "emoji 😀 and 日本語", "line\n   \nwhitespace-only line", "--- \n...\n---",
        "key: value\n- item\n# comment", "a\u200bzero width", "\ufeff\nbom first", "x\u2028", "\u0085", "quote \" and backslash \\ and \\n",
        "a\n\u2028\nb", new string('x', 300) + " " + new string('y', 300), string.Join(" ", Enumerable.Repeat("word", 200)),
    ];

    [Theory]
    [MemberData(nameof(HostileTexts))]
    public void PromptsAndNames_SurviveExactly(string text)
    {
        // A blank system_prompt is refused by validation (PO3001), so a blank text is tried after a word there.
        var live = Live("p0000000000a", "Coach" + text, string.IsNullOrWhiteSpace(text) ? "x" + text : text, p =>
        {
            p["context"] = text;
            p["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["extra_body"] = new JsonObject { ["k" + text] = text } } };
        });

        RoundTrip([live]);
    }

    [Fact]
    public void APromptAsALiteralBlock_StaysReadable()
    {
        var manifest = RoundTrip([Live("p0000000000a", "Coach", "You coach.\nBe kind.\n")]).Single();
        manifest.Yaml.ShouldContain("system_prompt: |\n    You coach.\n    Be kind.\n");
    }

    [Fact]
    public void TheManifest_ReadsAsAPersonWouldWriteIt_AndHidesNothing()
    {
        var live = Live("p0000000000a", "Coach", "You coach.\n  Indented.\n\n", p =>
        {
            p["document_tags"] = new JsonArray("a", "b");
            p["layers"] = new JsonObject
            {
                ["llm"] = new JsonObject
                {
                    ["model"] = "m",
                    ["extra_body"] = new JsonObject { ["stop"] = new JsonArray("\n", "END"), ["bidi"] = "abc\u202edef", ["empty"] = new JsonObject(), [new string('k', 1100)] = 1 },
                    ["tools"] = new JsonArray(new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "lookup", ["description"] = "Look up." } }),
                },
            };
        });

        var yaml = RoundTrip([live]).Single().Yaml;

        yaml.ShouldBe($$"""
            # Imported from Tavus persona p0000000000a by personaops import.
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
              id: p0000000000a
            spec:
              persona_name: Coach
              system_prompt: |+
                You coach.
                  Indented.

              document_tags: [a, b]
              layers:
                llm:
                  model: m
                  extra_body:
                    stop: ["\n", END]
                    bidi: "abc\u202Edef"
                    empty: {}
                    ? {{new string('k', 1100)}}
                    : 1
                  tools:
                    - type: function
                      function:
                        name: lookup
                        description: Look up.

            """.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void NullInsideFreeFormObjects_SurvivesAsNull()
    {
        var live = Live("p0000000000a", "Coach", more: p => p["layers"] = new JsonObject
        {
            ["llm"] = new JsonObject
            {
                ["model"] = "m",
                ["extra_body"] = new JsonObject { ["stop"] = null, ["nested"] = new JsonObject { ["x"] = null, ["e"] = "", ["o"] = new JsonObject(), ["a"] = new JsonArray(null, new JsonObject()) } },
                ["default_query"] = new JsonObject { ["api-version"] = "" , ["other"] = "1" },
                ["tools"] = new JsonArray(new JsonObject
                {
                    ["type"] = "function",
                    ["function"] = new JsonObject
                    {
                        ["name"] = "lookup",
                        ["parameters"] = new JsonObject { ["type"] = "object", ["default"] = null, ["properties"] = new JsonObject { ["q"] = new JsonObject { ["type"] = "string", ["default"] = null } } },
                    },
                }),
            },
        });

        var manifest = RoundTrip([live]).Single();
        manifest.Yaml.ShouldContain("stop: null");
    }

    [Fact]
    public void ALiteralDollarBrace_SurvivesAsText_AndIsNoReference()
    {
        const string text = "Use ${env:HOME} and $${x} and ${ alone and $$$${ and ${}";
        var live = Live("p0000000000a", "Coach ${env:X}", text, p =>
            p["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["extra_body"] = new JsonObject { ["note"] = text } } });

        // Whatever the environment holds, nothing is substituted.
        var manifest = RoundTrip([live], name => "SUBSTITUTED").Single();
        manifest.Yaml.ShouldContain("$${env:HOME}");
    }

    [Fact]
    public void HeaderNamesThatMapToOneVariable_GetDistinctVariables()
    {
        var live = Live("p0000000000a", "Coach", more: p => p["layers"] = new JsonObject
        {
            ["llm"] = new JsonObject
            {
                ["model"] = "m",
                ["headers"] = new JsonObject { ["X-Api-Key"] = "one", ["x_api_key"] = "two", ["X.API.KEY"] = "three" },
            },
        });

        var manifest = RoundTrip([live]).Single();
        manifest.Variables.Count.ShouldBe(3);
        manifest.Variables.Distinct().Count().ShouldBe(3, string.Join(", ", manifest.Variables));
    }

    [Fact]
    public void SecretVariables_AreDistinctAcrossManifests()
    {
        // "a" with the header LLM-API-KEY and "a-llm-header-llm" with its api_key would both be A_LLM_HEADER_LLM_API_KEY.
        var first = Live("p0000000000a", "a", more: p => p["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["headers"] = new JsonObject { ["LLM-API-KEY"] = "one" } } });
        var second = Live("p0000000000b", "a llm header llm", more: p => p["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m", ["api_key"] = "two" } });

        var imported = RoundTrip([first, second]);
        var variables = imported.SelectMany(m => m.Variables).ToArray();
        variables.Distinct().Count().ShouldBe(variables.Length, string.Join(", ", variables));
    }

    [Fact]
    public void TwoLivePersonasSharingAName_ImportAsTwoManifestsThatPlanToNoChanges()
    {
        var imported = RoundTrip([Live("p0000000000a", "Coach", "First."), Live("p0000000000b", "Coach", "Second.")]);
        imported.Select(m => m.Name).ShouldBe(["coach", "coach-2"]);
    }

    [Theory]
    [InlineData("persona_name", 0xD800)]
    [InlineData("system_prompt", 0xDC00)]
    public void TextThatIsNotUnicode_IsRefusedWithAReason_ForNoFileCanHoldIt(string field, int surrogate)
    {
        // Built here: an attribute's strings are stored as UTF-8, which cannot hold a lone surrogate either.
        var live = Live("p0000000000a", "Coach");
        live[field] = $"half a character {(char)surrogate} here";
        live["layers"] = new JsonObject { ["llm"] = new JsonObject { ["extra_body"] = new JsonObject { ["k\ud83d"] = 1 } } };

        var reason = Importer.Refusal(live).ShouldNotBeNull();
        reason.ShouldContain("persona p0000000000a");
        reason.ShouldContain("lone surrogate");
        reason.ShouldContain(field);
        Should.Throw<ArgumentException>(() => Importer.Import([live]));
    }

    [Fact]
    public void ASystemPersona_IsRefusedWithAReason()
    {
        var stock = Live("p1af207b8189", "Sales Coach");
        stock["persona_type"] = "system";

        Importer.Refusal(stock).ShouldNotBeNull().ShouldContain("stock");
        Importer.Refusal(Live("p0000000000a", "Coach")).ShouldBeNull();
        Should.Throw<ArgumentException>(() => Importer.Import([stock])).Message.ShouldContain("stock");
    }
}
