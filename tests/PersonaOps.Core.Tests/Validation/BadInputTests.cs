using System.Text;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;
using static PersonaOps.Core.Tests.Validation.ValidationHarness;

namespace PersonaOps.Core.Tests.Validation;

/// <summary>Every kind of broken file gets a diagnostic with its code and position: never an exception or a hang.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void MalformedYaml_IsPO1004_WhereTheParserStopped()
    {
        var result = Validate(("a.yaml", "apiVersion: personaops/v1\nkind: [Persona\nmetadata: {}\n"));
        result.Single("PO1004").Position.Line.ShouldBeGreaterThanOrEqualTo(2);
        result.Manifests.ShouldBeEmpty();
    }

    [Fact]
    public void UnclosedQuote_IsPO1004()
    {
        var result = Validate(("a.yaml", "apiVersion: \"personaops/v1\nkind: Persona\n"));
        result.Single("PO1004").Message.ShouldContain("quoted scalar");
    }

    [Fact]
    public void UnclosedFlowSequence_IsPO1004_NotACrash()
    {
        var result = Validate(("a.yaml", "a: [1, 2\nb: 3\n"));
        result.Single("PO1004").ShouldBeAt("a.yaml", 1, 6);
    }

    [Fact]
    public void DuplicateKey_IsPO1005_AtTheSecondKey()
    {
        var result = Validate(("a.yaml", Valid + "\n  system_prompt: again\n"));
        var d = result.Single("PO1005");
        d.ShouldBeAt("a.yaml", 8, 3);
        d.Message.ShouldContain("first at line 7");
    }

    [Fact]
    public void TabIndentation_IsPO1004_AtTheTab()
    {
        var result = Validate(("a.yaml", "apiVersion: personaops/v1\nmetadata:\n\tname: x\n"));
        var d = result.Single("PO1004");
        d.ShouldBeAt("a.yaml", 3, 1);
        d.Message.ShouldContain("spaces");
    }

    [Fact]
    public void InvalidUtf8_IsPO1003_AtTheBadByte()
    {
        var bytes = Encoding.UTF8.GetBytes("apiVersion: personaops/v1\nkind: Pers").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("na\n")).ToArray();
        var d = ValidateBytes("a.yaml", bytes).Single("PO1003");
        d.ShouldBeAt("a.yaml", 2, 11);
        d.Message.ShouldContain("not valid UTF-8");
    }

    [Fact]
    public void BinaryContent_IsPO1003()
    {
        var d = ValidateBytes("logo.yaml", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00]).Single("PO1003");
        d.File.ShouldBe("logo.yaml");
    }

    [Fact]
    public void NulByte_IsPO1003_AsBinary()
    {
        var d = ValidateBytes("a.yaml", Encoding.UTF8.GetBytes("a: 1\nb: \0\n")).Single("PO1003");
        d.ShouldBeAt("a.yaml", 2, 4);
        d.Message.ShouldContain("binary");
    }

    [Fact]
    public void ByteOrderMarkAndCrlf_AreAccepted()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Valid.ReplaceLineEndings("\r\n"))).ToArray();
        var result = ValidateBytes("a.yaml", bytes);
        result.ShouldBeClean();
        result.Manifests.Single().Spec!["system_prompt"]!.GetValue<string>().ShouldBe("You coach people.");
    }

    [Fact]
    public void Utf16WithByteOrderMark_IsAccepted()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Valid)).ToArray();
        ValidateBytes("a.yaml", bytes).ShouldBeClean();
    }

    [Fact]
    public void SequenceWhereAMappingBelongs_IsPO2002()
    {
        var result = Validate(("a.yaml", Valid + "\n  layers:\n    - llm\n"));
        var d = result.Single("PO2002");
        d.ShouldBeAt("a.yaml", 9, 5);
        d.Message.ShouldBe("spec.layers must be a mapping, but is a list.");
    }

    [Fact]
    public void DocumentThatIsAList_IsPO2002_Alone()
    {
        var result = Validate(("a.yaml", "- apiVersion: personaops/v1\n"));
        result.Single("PO2002").ShouldBeAt("a.yaml", 1, 1);
        result.Diagnostics.Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("  pipeline_mode: 3", 8, 18, "spec.pipeline_mode must be a string, but is the number 3.")]
    [InlineData("  layers:\n    llm:\n      speculative_inference: \"true\"", 10, 30, "spec.layers.llm.speculative_inference must be true or false, but is the string 'true'.")]
    [InlineData("  layers:\n    stt:\n      hotwords: [a, b]", 10, 17, "spec.layers.stt.hotwords must be a string, but is a list.")]
    [InlineData("  layers:\n    tts:\n      voice_settings:\n        stability: high", 11, 20, "spec.layers.tts.voice_settings.stability must be a number, but is the string 'high'.")]
    [InlineData("  layers:\n    perception:\n      visual_tools:\n        - type: function\n          function: {name: 7}", 12, 28, "spec.layers.perception.visual_tools[0].function.name must be a string, but is the number 7.")]
    [InlineData("  layers:\n    conversational_flow:\n      wake_phrase: 42", 10, 20, "spec.layers.conversational_flow.wake_phrase must be a string, but is the number 42.")]
    [InlineData("  document_ids: d123", 8, 17, "spec.document_ids must be a list, but is the string 'd123'.")]
    public void WrongTypes_AtEveryLayer_ArePO2002_AtTheValue(string yaml, int line, int column, string message)
    {
        var d = Validate(("a.yaml", Valid + "\n" + yaml + "\n")).Single("PO2002");
        d.ShouldBeAt("a.yaml", line, column);
        d.Message.ShouldStartWith(message);
    }

    [Fact]
    public void AliasBomb_IsPO1006_AndStopsQuickly()
    {
        var yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 12; i++)
        {
            yaml.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        var d = Validate(("bomb.yaml", yaml.ToString())).Single("PO1006");
        d.File.ShouldBe("bomb.yaml");
        d.Position.Line.ShouldBeLessThanOrEqualTo(6);
        d.Message.ShouldContain("alias bomb");
    }

    [Fact]
    public void ModestAliases_AreAllowed()
    {
        var yaml = """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: Coach
              system_prompt: &prompt You coach people.
              greeting: *prompt
            """;
        var result = Validate(("a.yaml", yaml));
        result.ShouldBeClean();
        result.Manifests.Single().Spec!["greeting"]!.GetValue<string>().ShouldBe("You coach people.");
    }

    [Fact]
    public void DeepNesting_IsPO1007_AtTheLevelBeyondTheLimit()
    {
        var yaml = new StringBuilder();
        for (var i = 0; i < 100; i++)
        {
            yaml.Append(new string(' ', i * 2)).Append("k:\n");
        }

        var d = Validate(("deep.yaml", yaml.ToString())).Single("PO1007");
        d.ShouldBeAt("deep.yaml", 65, 129);
    }

    [Fact]
    public void DeepFlowNesting_IsPO1007()
    {
        var yaml = new string('[', 10_000) + new string(']', 10_000);
        Validate(("deep.yaml", yaml)).Single("PO1007").ShouldBeAt("deep.yaml", 1, 65);
    }

    [Fact]
    public void OversizedFile_IsPO1002_WithoutParsing()
    {
        var content = new byte[SourceDecoder.MaxFileBytes + 1];
        Array.Fill(content, (byte)'#');
        var d = ValidateBytes("big.yaml", content).Single("PO1002");
        d.ShouldBeAt("big.yaml", 1, 1);
        d.Message.ShouldContain("4 MiB");
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n---\n")]
    public void EmptyFile_IsPO1008(string content) =>
        Validate(("empty.yaml", content)).Single("PO1008").ShouldBeAt("empty.yaml", 1, 1);

    [Fact]
    public void RecursiveAlias_IsRefused()
    {
        var result = Validate(("a.yaml", "a: &x [1, *x]\n"));
        result.HasErrors.ShouldBeTrue();
        result.Diagnostics.ShouldAllBe(d => d.Code == "PO1004" || d.Code == "PO1009");
    }

    [Fact]
    public void CustomTags_ArePO1009()
    {
        var d = Validate(("a.yaml", Valid + "\n  greeting: !secret hello\n")).Single("PO1009");
        d.ShouldBeAt("a.yaml", 8, 13);
    }

    [Fact]
    public void Infinity_IsPO1009()
    {
        Validate(("a.yaml", Valid + "\n  layers:\n    tts:\n      voice_settings:\n        speed: .inf\n")).Single("PO1009").ShouldBeAt("a.yaml", 11, 16);
    }

    [Fact]
    public void EveryCodeInTheCatalogue_IsUniqueAndWellFormed()
    {
        DiagnosticCatalog.All.Select(d => d.Code).ShouldBeUnique();
        DiagnosticCatalog.All.ShouldAllBe(d => System.Text.RegularExpressions.Regex.IsMatch(d.Code, "^PO[1-6][0-9]{3}$"));
    }
}
