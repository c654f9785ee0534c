using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Environments;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Validation;
using PersonaOps.Core.Tests.Validation;

namespace PersonaOps.Core.Tests.Environments;

/// <summary>
/// Overlays: RFC 7386 merge onto the base manifest, before validation, each value placed in the file that
/// supplied it; the overlay errors (no base, two for one name, a changed kind or apiVersion) with their positions.
/// </summary>
public sealed class OverlayTests
{
    private const string Base = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: You coach people.
          default_replica_id: r665388ec672
          layers:
            llm:
              model: tavus-gpt-oss
              speculative_inference: true
            stt:
              hotwords: alpha beta
        """;

    private static SourceFile File(string path, string yaml) => new(path, Encoding.UTF8.GetBytes(yaml));

    private static ValidationResult Validate(string overlay, string? baseYaml = null, params (string Path, string Yaml)[] more) =>
        ManifestValidator.Validate(
            [File("personas/coach.yaml", baseYaml ?? Base)],
            [File("environments/staging/coach.yaml", overlay), .. more.Select(m => File(m.Path, m.Yaml))]);

    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void MergePatch_FollowsRfc7386sExamples(string target, string patch, string expected)
    {
        var merged = Overlays.MergePatch(JsonNode.Parse(target), JsonNode.Parse(patch));
        (merged?.ToJsonString() ?? "null").ShouldBe(JsonNode.Parse(expected)?.ToJsonString() ?? "null");
    }

    [Fact]
    public void MergePatch_LeavesItsInputsAsTheyWere()
    {
        var target = JsonNode.Parse("""{"a":{"b":1}}""");
        var patch = JsonNode.Parse("""{"a":{"c":2}}""");
        _ = Overlays.MergePatch(target, patch);
        target!.ToJsonString().ShouldBe("""{"a":{"b":1}}""");
        patch!.ToJsonString().ShouldBe("""{"a":{"c":2}}""");
    }

    [Fact]
    public void AnOverlay_ChangesAStringANumberABooleanAListAndRemovesAField()
    {
        var result = Validate("""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
              ignore: [/layers/llm/model]
            spec:
              system_prompt: You coach people in staging.
              layers:
                llm:
                  speculative_inference: false
                stt:
                  hotwords: null
                tts:
                  tts_engine: cartesia
                  tts_emotion_control: true
              default_replica_id: r79e1c033f
            """);
        result.ShouldBeClean();
        var manifest = result.Manifests.Single();
        manifest.File.ShouldBe("personas/coach.yaml");
        manifest.Overlay.ShouldBe("environments/staging/coach.yaml");
        manifest.Spec!["system_prompt"]!.GetValue<string>().ShouldBe("You coach people in staging.");
        manifest.Spec["persona_name"]!.GetValue<string>().ShouldBe("Coach");
        manifest.Spec["default_replica_id"]!.GetValue<string>().ShouldBe("r79e1c033f");
        manifest.Spec["layers"]!["llm"]!["model"]!.GetValue<string>().ShouldBe("tavus-gpt-oss");
        manifest.Spec["layers"]!["llm"]!["speculative_inference"]!.GetValue<bool>().ShouldBeFalse();
        manifest.Spec["layers"]!["stt"]!.AsObject().ContainsKey("hotwords").ShouldBeFalse();
        manifest.Spec["layers"]!["tts"]!["tts_engine"]!.GetValue<string>().ShouldBe("cartesia");
        manifest.Ignore.Select(p => p.Text).ShouldBe(["/layers/llm/model"]);

        // Positions: supplied values in the overlay, inherited ones in the base.
        manifest.Map.ValueAt("/spec/system_prompt").ShouldBe(new Diagnostics.SourcePosition(7, 18) { File = "environments/staging/coach.yaml" });
        manifest.Map.ValueAt("/spec/persona_name").ShouldBe(new Diagnostics.SourcePosition(6, 17));
        manifest.Map.SpanAt("/spec/persona_name").ShouldNotBeNull();
        manifest.Map.SpanAt("/spec/system_prompt").ShouldBeNull();
    }

    [Fact]
    public void AnUnknownFieldInTheOverlay_NamesTheOverlayFileAndLine()
    {
        var result = Validate("""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              layers:
                llm:
                  modle: tavus-gpt-oss
            """);
        var d = result.Single("PO2003");
        d.ShouldBeAt("environments/staging/coach.yaml", 8, 7);
        d.Message.ShouldContain("did you mean 'model'");
        result.Manifests.ShouldBeEmpty();
    }

    [Fact]
    public void ABadEnumInTheOverlay_NamesTheOverlay()
    {
        var result = Validate("""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              pipeline_mode: fulll
            """);
        result.Single("PO2004").ShouldBeAt("environments/staging/coach.yaml", 6, 18);
    }

    [Fact]
    public void AnErrorInAnInheritedValue_NamesTheBase()
    {
        var result = Validate("""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              system_prompt: Staging.
            """, Base.Replace("tavus-gpt-oss\n", "tavus-gpt-oss\n      modle: x\n"));
        result.Single("PO2003").ShouldBeAt("personas/coach.yaml", 12, 7);
    }

    [Fact]
    public void AnOverlayWithoutABase_IsPO6002_AtItsName()
    {
        var result = Validate("""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach-2
            spec:
              system_prompt: Staging.
            """);
        var d = result.Single("PO6002");
        d.ShouldBeAt("environments/staging/coach.yaml", 4, 9);
        d.Message.ShouldContain("no manifest has metadata.name 'coach-2'");
        result.HasErrors.ShouldBeTrue();
    }

    [Fact]
    public void TwoOverlaysForOneName_IsPO6003_AtTheSecond_NamingTheFirst()
    {
        var overlay = "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\nspec:\n  system_prompt: Staging.\n";
        var result = Validate(overlay, null, ("environments/staging/coach-again.yaml", "# again\n" + overlay));
        var d = result.Single("PO6003");
        d.ShouldBeAt("environments/staging/coach-again.yaml", 5, 9);
        d.Message.ShouldContain("environments/staging/coach.yaml(4,9)");
    }

    [Theory]
    [InlineData("apiVersion: personaops/v2\nkind: Persona\n", "apiVersion", 1, 13)]
    [InlineData("apiVersion: personaops/v1\nkind: Agent\n", "kind", 2, 7)]
    public void AnOverlayThatChangesApiVersionOrKind_IsPO6004(string head, string field, int line, int column)
    {
        var result = Validate(head + "metadata:\n  name: coach\nspec:\n  system_prompt: Staging.\n");
        var d = result.Single("PO6004");
        d.ShouldBeAt("environments/staging/coach.yaml", line, column);
        d.Message.ShouldContain(field);
        result.Manifests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("kind: Persona\nmetadata:\n  name: coach\n", 1, 1)]
    [InlineData("apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  id: p1\n", 4, 3)]
    [InlineData("- a\n- b\n", 1, 1)]
    public void AnOverlayThatDoesNotNameItsManifest_IsPO6005(string overlay, int line, int column)
    {
        var result = Validate(overlay);
        result.Single("PO6005").ShouldBeAt("environments/staging/coach.yaml", line, column);
    }

    [Fact]
    public void WithoutOverlays_TheBaseIsValidatedAsBefore()
    {
        var result = ManifestValidator.Validate([File("personas/coach.yaml", Base)], []);
        result.ShouldBeClean();
        result.Manifests.Single().Overlay.ShouldBeNull();
    }
}
