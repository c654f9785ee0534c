using static PersonaOps.Core.Tests.Validation.ValidationHarness;

namespace PersonaOps.Core.Tests.Validation;

/// <summary>The schema's rules and the checks beyond it, as a user meets them.</summary>
public sealed class ManifestRuleTests
{
    [Fact]
    public void ValidManifest_LoadsWithItsIdentity()
    {
        var result = Validate(("personas/coach.yaml", Valid.Replace("  name: coach", "  name: coach\n  id: p596401c2cf9\n  ignore: [/layers/llm/model]")));
        result.ShouldBeClean();
        var manifest = result.Manifests.Single();
        manifest.Name.ShouldBe("coach");
        manifest.Id.ShouldBe("p596401c2cf9");
        manifest.PersonaName.ShouldBe("Coach");
        manifest.Ignore.Single().Text.ShouldBe("/layers/llm/model");
    }

    [Fact]
    public void SeveralDocumentsPerFile_AreSeveralManifests()
    {
        var result = Validate(("all.yaml", Valid + "\n---\n" + Valid.Replace("coach", "tutor").Replace("Coach", "Tutor") + "\n---\n"));
        result.ShouldBeClean();
        result.Manifests.Select(m => (m.Name, m.DocumentIndex)).ShouldBe([("coach", 0), ("tutor", 1)]);
        result.Manifests[1].Position.Line.ShouldBe(9);
    }

    [Fact]
    public void UnknownField_IsPO2003_WithTheNearestName()
    {
        var d = Validate(("a.yaml", Valid + "\n  layers:\n    llm:\n      modle: tavus-gpt-oss\n")).Single("PO2003");
        d.ShouldBeAt("a.yaml", 10, 7);
        d.Message.ShouldBe("unknown field 'modle' in spec.layers.llm; did you mean 'model'?");
    }

    [Fact]
    public void UnknownField_WithNothingClose_ListsTheKnownFields()
    {
        var d = Validate(("a.yaml", Valid.Replace("  name: coach", "  name: coach\n  owner: me"))).Single("PO2003");
        d.ShouldBeAt("a.yaml", 5, 3);
        d.Message.ShouldBe("unknown field 'owner' in metadata. Known fields: ensure, id, ignore, name.");
    }

    [Fact]
    public void EnumValue_IsPO2004_WithTheNearestValue()
    {
        var d = Validate(("a.yaml", Valid + "\n  layers:\n    stt:\n      stt_engine: tavus-parakeat\n")).Single("PO2004");
        d.ShouldBeAt("a.yaml", 10, 19);
        d.Message.ShouldEndWith("did you mean 'tavus-parakeet'?");
    }

    [Theory]
    [InlineData("Coach")]
    [InlineData("sales_coach")]
    [InlineData("-coach")]
    public void NameThatIsNotASlug_IsPO2005(string name)
    {
        var d = Validate(("a.yaml", Valid.Replace("name: coach", $"name: {name}"))).Single("PO2005");
        d.ShouldBeAt("a.yaml", 4, 9);
        d.Message.ShouldContain("lowercase slug");
    }

    [Fact]
    public void MissingMetadata_IsPO2001()
    {
        var d = Validate(("a.yaml", "apiVersion: personaops/v1\nkind: Persona\nspec: {system_prompt: x}\n")).Single("PO2001");
        d.Message.ShouldBe("'metadata' is required in the manifest.");
    }

    [Fact]
    public void WrongApiVersion_IsPO2004()
    {
        Validate(("a.yaml", Valid.Replace("personaops/v1", "personaops/v2"))).Single("PO2004").ShouldBeAt("a.yaml", 1, 13);
    }

    [Fact]
    public void SystemPrompt_IsRequired_UnlessEcho()
    {
        var withoutPrompt = Valid.Replace("  system_prompt: You coach people.", "  pipeline_mode: full");
        Validate(("a.yaml", withoutPrompt)).Single("PO3001").ShouldBeAt("a.yaml", 6, 3);
        Validate(("a.yaml", withoutPrompt.Replace("pipeline_mode: full", "pipeline_mode: echo"))).ShouldBeClean();
    }

    [Fact]
    public void BlankSystemPrompt_IsPO3001()
    {
        Validate(("a.yaml", Valid.Replace("You coach people.", "\"  \""))).Single("PO3001").ShouldBeAt("a.yaml", 7, 18);
    }

    [Fact]
    public void DuplicateNames_AcrossFiles_ArePO3003_PointingAtTheFirst()
    {
        var result = Validate(("personas/a.yaml", Valid), ("personas/b.yaml", Valid.Replace("Coach", "Other")));
        var d = result.Single("PO3003");
        d.ShouldBeAt("personas/b.yaml", 4, 9);
        d.Message.ShouldContain("personas/a.yaml(4,9)");
    }

    [Fact]
    public void DuplicatePersonaNames_ArePO3004()
    {
        var d = Validate(("a.yaml", Valid), ("b.yaml", Valid.Replace("name: coach", "name: coach-two"))).Single("PO3004");
        d.ShouldBeAt("b.yaml", 6, 17);
    }

    [Fact]
    public void DuplicatePersonaNames_AreNoError_WhenEachManifestPinsItsId()
    {
        // Tavus lets two personas share a name; their imported manifests pin each its own id.
        var a = Valid.Replace("  name: coach", "  name: coach\n  id: p1");
        var b = Valid.Replace("  name: coach", "  name: coach-two\n  id: p2");
        Validate(("a.yaml", a), ("b.yaml", b)).ShouldBeClean();

        // Two identified by name still collide, whatever else pins the name.
        var c = Valid.Replace("name: coach", "name: coach-three");
        var d = Valid.Replace("name: coach", "name: coach-four");
        Validate(("c.yaml", c), ("d.yaml", d)).Single("PO3004").ShouldBeAt("d.yaml", 6, 17);
    }

    [Fact]
    public void APersonaNameFoundByName_ThatAPinnedManifestGivesItsPersonaToo_IsPO3004_AtTheOneFoundByName()
    {
        // Once both are applied two live personas have the name (the pinned one renamed to it, or the other
        // created beside it), and every later plan of the one found by name is ambiguous (PO5001): refused first.
        var pinned = Valid.Replace("  name: coach", "  name: coach\n  id: p1");
        var byName = Valid.Replace("name: coach", "name: coach-three");
        var d = Validate(("c.yaml", byName), ("a.yaml", pinned)).Single("PO3004");
        d.ShouldBeAt("c.yaml", 6, 17);
        d.Message.ShouldContain("a.yaml(7,17), which pins metadata.id");

        // A pinned manifest that deletes its persona leaves no persona of that name behind.
        var absent = pinned.Replace("  id: p1", "  id: p1\n  ensure: absent");
        Validate(("c.yaml", byName), ("a.yaml", absent)).Diagnostics.ShouldNotContain(x => x.Code == "PO3004");
    }

    [Fact]
    public void DuplicateIds_ArePO3012()
    {
        var a = Valid.Replace("  name: coach", "  name: coach\n  id: p1");
        var b = a.Replace("name: coach", "name: other").Replace("Coach", "Other");
        Validate(("a.yaml", a), ("b.yaml", b)).Single("PO3012").ShouldBeAt("b.yaml", 5, 7);
    }

    [Theory]
    [InlineData("  layers:\n    llm:\n      api_key: sk-live-CANARY-123", 10, 16)]
    [InlineData("  layers:\n    tts:\n      api_key: el-CANARY-123", 10, 16)]
    [InlineData("  layers:\n    llm:\n      headers:\n        Authorization: Bearer CANARY-123", 11, 24)]
    public void LiteralSecrets_ArePO3005_AndNeverEchoed(string yaml, int line, int column)
    {
        var result = Validate(("a.yaml", Valid + "\n" + yaml + "\n"));
        result.Single("PO3005").ShouldBeAt("a.yaml", line, column);
        result.Diagnostics.ShouldAllBe(d => !d.Message.Contains("CANARY"));
    }

    [Theory]
    [InlineData("api_key: ${env:OPENAI_API_KEY}")]
    [InlineData("headers: {Authorization: \"Bearer ${env:LLM_TOKEN}\"}")]
    public void SecretReferences_AreAccepted(string field)
    {
        Validate(("a.yaml", Valid + "\n  layers:\n    llm:\n      " + field + "\n")).ShouldBeClean();
    }

    [Theory]
    [InlineData("${OPENAI}", "not a valid reference")]
    [InlineData("${env:1ABC}", "not a valid reference")]
    [InlineData("${env:OPEN", "not closed")]
    [InlineData("${env:}", "not a valid reference")]
    public void MalformedReferences_ArePO3006(string text, string reason)
    {
        var d = Validate(("a.yaml", Valid.Replace("You coach people.", $"\"Hello {text} there\""))).Single("PO3006");
        d.ShouldBeAt("a.yaml", 7, 18);
        d.Message.ShouldContain(reason);
    }

    [Fact]
    public void EscapedDollarBrace_IsALiteral()
    {
        Validate(("a.yaml", Valid.Replace("You coach people.", "\"Say $${name} aloud\""))).ShouldBeClean();
    }

    [Fact]
    public void ServerOwnedFields_ArePO3011()
    {
        var d = Validate(("a.yaml", Valid + "\n  persona_id: pcb7a34da5fe\n")).Single("PO3011");
        d.ShouldBeAt("a.yaml", 8, 3);
        d.Message.ShouldContain("metadata.id");
    }

    [Fact]
    public void EnsureAbsent_NeedsOnlyAnIdentity()
    {
        Validate(("a.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: old\n  id: p123\n  ensure: absent\n")).ShouldBeClean();
        Validate(("a.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: old\n  ensure: absent\n")).Single("PO3010").ShouldBeAt("a.yaml", 4, 3);
        Validate(("a.yaml", "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: new\n")).Single("PO3010").ShouldBeAt("a.yaml", 1, 1);
    }

    [Fact]
    public void DeprecatedFields_ArePO4001Warnings_NamingTheReplacement()
    {
        var result = Validate(("a.yaml", Valid + "\n  layers:\n    perception:\n      perception_tool_prompt: Use the tools.\n"));
        result.HasErrors.ShouldBeFalse();
        var d = result.Single("PO4001");
        d.ShouldBeAt("a.yaml", 10, 7);
        d.Message.ShouldContain("Use visual_tool_prompt instead");
    }

    [Theory]
    [InlineData("tts:\n      tts_engine: playht", "removed by Tavus")]
    [InlineData("llm:\n      model: tavus-gpt-4o", "deprecated by Tavus")]
    [InlineData("stt:\n      stt_engine: tavus-advanced", "use tavus-auto")]
    public void DeprecatedValues_ArePO4002Warnings(string layer, string reason)
    {
        var result = Validate(("a.yaml", Valid + "\n  layers:\n    " + layer + "\n"));
        result.HasErrors.ShouldBeFalse();
        result.Single("PO4002").Message.ShouldContain(reason);
    }

    [Fact]
    public void CustomModelNames_AreAccepted()
    {
        Validate(("a.yaml", Valid + "\n  layers:\n    llm:\n      model: my-org/llama-3-70b-instruct\n      base_url: https://llm.example.com/v1\n")).ShouldBeClean();
    }

    [Fact]
    public void PromptAtTheDocumentedLimit_IsAccepted_AndBeyondItWarned()
    {
        var atLimit = new string('a', 128_000);
        Validate(("a.yaml", Valid.Replace("You coach people.", atLimit))).ShouldBeClean();
        var result = Validate(("a.yaml", Valid.Replace("You coach people.", atLimit + "a")));
        result.HasErrors.ShouldBeFalse();
        result.Single("PO4003").ShouldBeAt("a.yaml", 7, 18);
    }

    [Fact]
    public void TooManyGuardrails_IsPO2007()
    {
        var ids = string.Join(", ", Enumerable.Range(0, 51).Select(i => $"g{i}"));
        Validate(("a.yaml", Valid + $"\n  guardrail_ids: [{ids}]\n")).Single("PO2007").Message.ShouldContain("at most 50");
    }

    [Fact]
    public void YamlBooleansAreCoreSchema_SoYesIsAString()
    {
        var d = Validate(("a.yaml", Valid + "\n  layers:\n    llm:\n      speculative_inference: yes\n")).Single("PO2002");
        d.Message.ShouldContain("yes/no/on/off are strings");
    }
}
