using System.Text.Json.Nodes;
using PersonaOps.Core.Adopting;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Core.Tests.Adopting;

/// <summary>
/// The in-place edits of <see cref="ManifestEditor"/> on the YAML shapes a person writes: each result is the
/// exact expected text, and it reads back as the value intended.
/// </summary>
public sealed class ManifestEditorTests
{
    private static string Set(string text, string pointer, JsonNode? value)
    {
        var edited = ManifestEditor.Apply(text, 0, DocumentEdit.Set(JsonPointer.Parse(pointer), value), out var refusal);
        edited.ShouldNotBeNull(refusal);
        JsonPointer.Parse(pointer).TryResolve(Read(edited), out var read).ShouldBeTrue(edited);
        JsonEquality.DeepEquals(read, value).ShouldBeTrue(edited);
        return edited;
    }

    private static string Delete(string text, string pointer)
    {
        var edited = ManifestEditor.Apply(text, 0, DocumentEdit.Delete(JsonPointer.Parse(pointer)), out var refusal);
        edited.ShouldNotBeNull(refusal);
        return edited;
    }

    private static JsonNode? Read(string text)
    {
        var diagnostics = new List<Diagnostic>();
        var documents = YamlDocumentReader.Read("t.yaml", text, diagnostics);
        diagnostics.ShouldBeEmpty(text);
        return documents[0].Root;
    }

    [Fact]
    public void A_flow_document_is_edited_in_flow_style()
    {
        const string text = "spec: {persona_name: Coach, system_prompt: \"Hi\", layers: {stt: {hotwords: a}}}  # json-ish\n";
        Set(text, "/spec/system_prompt", "Hello, you").ShouldBe("spec: {persona_name: Coach, system_prompt: \"Hello, you\", layers: {stt: {hotwords: a}}}  # json-ish\n");
        Set(text, "/spec/context", "c").ShouldBe("spec: {persona_name: Coach, system_prompt: \"Hi\", layers: {stt: {hotwords: a}}, context: c}  # json-ish\n");
        Set(text, "/spec/layers/stt", new JsonObject { ["hotwords"] = "b", ["stt_engine"] = "x" })
            .ShouldBe("spec: {persona_name: Coach, system_prompt: \"Hi\", layers: {stt: {hotwords: b, stt_engine: x}}}  # json-ish\n");
        Delete(text, "/spec/system_prompt").ShouldBe("spec: {persona_name: Coach, layers: {stt: {hotwords: a}}}  # json-ish\n");
        Delete(text, "/spec/layers/stt/hotwords").ShouldBe("spec: {persona_name: Coach, system_prompt: \"Hi\"}  # json-ish\n");
    }

    [Fact]
    public void A_literal_block_at_the_end_of_the_file_without_a_final_break_keeps_none()
    {
        Set("spec:\n  p: |-\n    a\n    b", "/spec/p", "c\nd").ShouldBe("spec:\n  p: |-\n    c\n    d");
        Set("spec:\n  p: |\n    a\n", "/spec/p", "c\nd\n").ShouldBe("spec:\n  p: |\n    c\n    d\n");
    }

    [Fact]
    public void A_field_inserted_after_a_kept_block_leaves_its_final_breaks_to_it()
    {
        Set("spec:\n  m:\n    a: |+\n      x\n\n", "/spec/m/b", 1).ShouldBe("spec:\n  m:\n    a: |+\n      x\n\n    b: 1\n");
        Delete("spec:\n  a: |+\n    x\n\n  b: 1\n", "/spec/a").ShouldBe("spec:\n  b: 1\n");
    }

    [Fact]
    public void A_block_header_keeps_its_indentation_indicator_and_comment()
    {
        Set("spec:\n  p: |2  # note\n     lead\n  q: 1\n", "/spec/p", "new\ntext\n").ShouldBe("spec:\n  p: |2  # note\n    new\n    text\n  q: 1\n");
    }

    [Fact]
    public void A_folded_prompt_becomes_a_literal_block_at_its_indentation()
    {
        Set("spec:\n  p: >\n      long\n      text\n  q: 1\n", "/spec/p", "one\ntwo\n").ShouldBe("spec:\n  p: |\n      one\n      two\n  q: 1\n");
    }

    [Fact]
    public void Text_a_literal_block_cannot_hold_is_double_quoted_and_the_lines_after_it_stay()
    {
        Set("spec:\n  p: |\n    a\n\n  q: 1\n", "/spec/p", "tab\tend \n").ShouldBe("spec:\n  p: \"tab\\tend \\n\"\n\n  q: 1\n");
    }

    [Fact]
    public void An_empty_value_becomes_a_mapping_when_a_field_under_it_is_added()
    {
        Set("spec:\n  layers:\n  q: 1\n", "/spec/layers/tts/voice_id", "v").ShouldBe("spec:\n  layers:\n    tts:\n      voice_id: v\n  q: 1\n");
        Set("spec:\n  a: ~\n", "/spec/a", "x").ShouldBe("spec:\n  a: x\n");
        Set("spec:\n  a:\n  b: 1\n", "/spec/a", "x").ShouldBe("spec:\n  a: x\n  b: 1\n");
    }

    [Fact]
    public void A_list_changes_shape_in_its_own_place()
    {
        Set("spec:\n  t:\n    - a\n    - b  # c\n  q: 1\n", "/spec/t", new JsonArray()).ShouldBe("spec:\n  t: []  # c\n  q: 1\n");
        Set("spec:\n  t: []\n  q: 1\n", "/spec/t", new JsonArray("a", new JsonObject { ["k"] = 1, ["m"] = new JsonArray("x") }))
            .ShouldBe("spec:\n  t: [a, {k: 1, m: [x]}]\n  q: 1\n");
        Set("spec:\n  t: x # c\n  q: 1\n", "/spec/t", new JsonArray("a", new JsonObject { ["k"] = 1, ["m"] = new JsonArray("x") }))
            .ShouldBe("spec:\n  t:\n    - a\n    - k: 1\n      m:\n        - x # c\n  q: 1\n");
        Set("spec:\n  t:\n  - a\n  q: 1\n", "/spec/t", new JsonArray("b", "c")).ShouldBe("spec:\n  t:\n  - b\n  - c\n  q: 1\n");
    }

    [Fact]
    public void Document_markers_comments_and_the_next_document_stay()
    {
        const string text = "--- # first\nspec:\n  a: 1\n  # after a\n...\n---\nspec:\n  a: 1\n";
        Set(text, "/spec/b", 2).ShouldBe("--- # first\nspec:\n  a: 1\n  b: 2\n  # after a\n...\n---\nspec:\n  a: 1\n");
        Delete("spec:\n  a: 1\n  b: 2 # two\n  # end\n", "/spec/b").ShouldBe("spec:\n  a: 1\n  # end\n");
    }

    [Fact]
    public void Text_that_is_not_safe_plain_is_quoted_and_keys_too()
    {
        Set("spec:\n  a: x\n", "/spec/a", "a: b # c").ShouldBe("spec:\n  a: \"a: b # c\"\n");
        Set("spec:\n  a: x\n", "/spec/h", new JsonObject { ["X-Key: 1"] = "no" }).ShouldBe("spec:\n  a: x\n  h:\n    \"X-Key: 1\": \"no\"\n");
        Set("spec:\n  a: x\n", "/spec/a", 0.5).ShouldBe("spec:\n  a: 0.5\n");
    }

    [Fact]
    public void Anchored_and_aliased_values_are_refused()
    {
        const string text = "base: &b\n  k: 1\nspec:\n  layers: *b\n  name: &n x\n  other: *n\n";
        ManifestEditor.Apply(text, 0, DocumentEdit.Set(JsonPointer.Parse("/spec/layers/k"), 2), out var refusal).ShouldBeNull();
        refusal.ShouldNotBeNull().ShouldContain("anchor or alias");
        ManifestEditor.Apply(text, 0, DocumentEdit.Set(JsonPointer.Parse("/spec/layers/z"), 2), out _).ShouldBeNull();
        ManifestEditor.Apply(text, 0, DocumentEdit.Set(JsonPointer.Parse("/spec/name"), "y"), out _).ShouldBeNull();
        ManifestEditor.Apply(text, 0, DocumentEdit.Delete(JsonPointer.Parse("/base")), out _).ShouldBeNull();
        Set(text, "/spec/more", "m").ShouldBe(text + "  more: m\n");
    }
}
