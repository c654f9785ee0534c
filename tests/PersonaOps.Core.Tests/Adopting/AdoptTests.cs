using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Adopting;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Adopting;

/// <summary>
/// drift --adopt's core, through the whole pure pipeline: manifest bytes -> validation -> a drift plan
/// against a live persona edited outside PersonaOps -> <see cref="DriftAdopter"/> -> the new bytes, compared
/// with the expected file exactly (every byte outside the changed values as it was), then validated and
/// planned again against the same live persona: no changes for what was adopted.
/// </summary>
public sealed class AdoptTests
{
    private const string Path = "personas/coach.yaml";

    private static JsonObject Live(Action<JsonObject>? edit = null)
    {
        var persona = new JsonObject
        {
            ["persona_id"] = "p1",
            ["persona_name"] = "Coach",
            ["persona_type"] = "user",
            ["system_prompt"] = "You coach.\nBe kind.\n",
            ["pipeline_mode"] = "full",
            ["default_replica_id"] = "r1",
            ["greeting"] = "Hi there",
            ["created_at"] = "2026-01-01T00:00:00.000Z",
        };
        edit?.Invoke(persona);
        return persona;
    }

    private sealed record Outcome(string Text, AdoptionReport Report, Plan After);

    private static Outcome Adopt(string text, JsonObject live, Func<string, string?>? environment = null, byte[]? preamble = null, Func<string, bool>? known = null)
    {
        environment ??= _ => null;
        var bytes = (preamble ?? []).Concat(Encoding.UTF8.GetBytes(text)).ToArray();
        var file = new SourceFile(Path, bytes);
        var validation = ManifestValidator.Validate([file]);
        validation.HasErrors.ShouldBeFalse(string.Join("\n", validation.Diagnostics));
        var plan = Planner.Create(TestKeys.Target("test"), validation.Manifests, [live], environment);
        plan.Errors.ShouldBeEmpty();
        plan.HasChanges.ShouldBeTrue("the live persona should differ from the manifest");
        var report = DriftAdopter.Adopt(plan, validation.Manifests, [live], [file], known ?? (_ => false));
        var written = report.Files.SingleOrDefault()?.Content.ToArray() ?? bytes;
        if (preamble is not null)
        {
            written.Take(preamble.Length).ShouldBe(preamble, "the byte order mark is kept");
        }

        var newText = Encoding.UTF8.GetString(written.AsSpan((preamble ?? []).Length));
        var again = ManifestValidator.Validate([new SourceFile(Path, written)]);
        again.HasErrors.ShouldBeFalse(string.Join("\n", again.Diagnostics) + "\n" + newText);
        var after = Planner.Create(TestKeys.Target("test"), again.Manifests, [live], environment);
        return new Outcome(newText, report, after);
    }

    private static void ShouldBeClean(Outcome outcome)
    {
        outcome.Report.Left.ShouldBeEmpty();
        outcome.After.HasChanges.ShouldBeFalse(string.Join(", ", outcome.After.Personas.SelectMany(p => p.Changes).Select(c => c.Path)) + "\n" + outcome.Text);
    }

    private const string Commented = """
        # yaml-language-server: $schema=../schemas/persona/v1/persona.schema.json
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach   # who this is

        spec:
          # The name people see.
          persona_name: "Coach"
          system_prompt: |
            You coach.
            Be kind.

          pipeline_mode: full    # keep full
          default_replica_id: 'r1'
          greeting: "Hi there"

        """;

    [Fact]
    public void A_literal_block_prompt_changed_live_stays_a_literal_block_and_nothing_else_moves()
    {
        var outcome = Adopt(Commented, Live(p => p["system_prompt"] = "You coach runners.\nBe brief, and kind.\n"));
        outcome.Text.ShouldBe(Commented.Replace("  You coach.\n    Be kind.\n", "  You coach runners.\n    Be brief, and kind.\n", StringComparison.Ordinal));
        outcome.Report.Files.Single().Fields.ShouldBe(["system_prompt"]);
        ShouldBeClean(outcome);
    }

    [Fact]
    public void A_prompt_without_its_final_break_gets_the_strip_indicator_and_a_longer_one_keep()
    {
        var stripped = Adopt(Commented, Live(p => p["system_prompt"] = "One line."));
        stripped.Report.Left.ShouldBeEmpty(ManifestEditor.Apply(Commented, 0, DocumentEdit.Set(JsonPointer.Parse("/spec/system_prompt"), "One line."), out _));
        stripped.Text.ShouldBe(Commented.Replace("|\n    You coach.\n    Be kind.\n", "|-\n    One line.\n", StringComparison.Ordinal));
        ShouldBeClean(stripped);

        var kept = Adopt(Commented, Live(p => p["system_prompt"] = "Two\nbreaks\n\n"));
        ShouldBeClean(kept);
        kept.Text.ShouldContain("system_prompt: |+\n    Two\n    breaks\n\n");
    }

    [Fact]
    public void Quoted_and_plain_scalars_keep_their_quotes_and_comments()
    {
        var outcome = Adopt(Commented, Live(p =>
        {
            p["greeting"] = "Hi \"runner\"";
            p["default_replica_id"] = "r2";
            p["pipeline_mode"] = "echo";
        }));
        outcome.Text.ShouldBe(Commented
            .Replace("\"Hi there\"", "\"Hi \\\"runner\\\"\"", StringComparison.Ordinal)
            .Replace("'r1'", "'r2'", StringComparison.Ordinal)
            .Replace("pipeline_mode: full    # keep full", "pipeline_mode: echo    # keep full", StringComparison.Ordinal));
        ShouldBeClean(outcome);
    }

    [Fact]
    public void A_single_quoted_scalar_doubles_its_quotes_and_one_that_cannot_hold_the_text_becomes_double_quoted()
    {
        const string text = "spec:\n  a: 'x'  # c\n  b: 'y'\n";
        ManifestEditor.Apply(text, 0, DocumentEdit.Set(JsonPointer.Parse("/spec/a"), "it's"), out _).ShouldBe("spec:\n  a: 'it''s'  # c\n  b: 'y'\n");
        ManifestEditor.Apply(text, 0, DocumentEdit.Set(JsonPointer.Parse("/spec/b"), "two\nlines"), out _).ShouldBe("spec:\n  a: 'x'  # c\n  b: \"two\\nlines\"\n");
    }

    [Fact]
    public void A_plain_scalar_that_would_read_as_something_else_is_double_quoted()
    {
        var outcome = Adopt(Commented, Live(p => p["context"] = "true"));
        outcome.Text.ShouldContain("  context: \"true\"\n");
        ShouldBeClean(outcome);
    }

    [Fact]
    public void A_field_added_live_is_inserted_at_the_mapping_s_indentation_with_its_missing_parents()
    {
        var outcome = Adopt(Commented, Live(p =>
        {
            p["context"] = "Runners only.";
            p["layers"] = new JsonObject { ["tts"] = new JsonObject { ["external_voice_id"] = "v-9", ["voice_settings"] = new JsonObject { ["speed"] = 0.5 } } };
        }));
        outcome.Text.ShouldBe(Commented.Replace("  greeting: \"Hi there\"\n", """
              greeting: "Hi there"
              context: Runners only.
              layers:
                tts:
                  external_voice_id: v-9
                  voice_settings:
                    speed: 0.5

            """, StringComparison.Ordinal));
        ShouldBeClean(outcome);
    }

    [Fact]
    public void A_field_removed_live_loses_exactly_its_lines_and_an_emptied_mapping_goes_with_it()
    {
        const string text = """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: Coach
              system_prompt: |
                You coach.
                Be kind.
              context: >-
                Runners
                only.
              # the voice
              layers:
                tts:
                  external_voice_id: v-1   # chosen in March
              pipeline_mode: full
              default_replica_id: r1
            """;
        var outcome = Adopt(text, Live(p => p.Remove("greeting")));
        outcome.Report.Left.ShouldBeEmpty();
        outcome.Text.ShouldBe("""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: Coach
              system_prompt: |
                You coach.
                Be kind.
              # the voice
              pipeline_mode: full
              default_replica_id: r1
            """);
        ShouldBeClean(outcome);
    }

    private const string Lists = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: |
            You coach.
            Be kind.
          pipeline_mode: full
          default_replica_id: r1
          document_tags: [running, "5k"]   # flow
          layers:
            perception:
              perception_model: raven-1
              visual_awareness_queries:
                # what to notice
                - Is the user tired?
                - Is the user running?
            llm:
              extra_body: {temperature: 0.5, top_p: 1}
        """;

    [Fact]
    public void Lists_and_objects_changed_live_are_rewritten_whole_in_their_own_style()
    {
        var outcome = Adopt(Lists, Live(p =>
        {
            p.Remove("greeting");
            p["document_tags"] = new JsonArray("running", "10k, hills");
            p["layers"] = new JsonObject
            {
                ["perception"] = new JsonObject { ["perception_model"] = "raven-1", ["visual_awareness_queries"] = new JsonArray("Is the user smiling?") },
                ["llm"] = new JsonObject { ["extra_body"] = new JsonObject { ["temperature"] = 0.7 } },
            };
        }));
        outcome.Text.ShouldBe(Lists
            .Replace("[running, \"5k\"]", "[running, \"10k, hills\"]", StringComparison.Ordinal)
            .Replace("- Is the user tired?\n        - Is the user running?", "- Is the user smiling?", StringComparison.Ordinal)
            .Replace("{temperature: 0.5, top_p: 1}", "{temperature: 0.7}", StringComparison.Ordinal));
        ShouldBeClean(outcome);
    }

    [Fact]
    public void Several_documents_CRLF_and_a_byte_order_mark_stay_byte_for_byte()
    {
        var text = ("# two personas\n" + Commented + "---\n" + Commented.Replace("name: coach", "name: other", StringComparison.Ordinal).Replace("\"Coach\"", "\"Other\"", StringComparison.Ordinal))
            .Replace("\n", "\r\n", StringComparison.Ordinal);
        var live = Live(p => p["system_prompt"] = "New.\nPrompt.\n");
        var outcome = Adopt(text, live, preamble: [0xEF, 0xBB, 0xBF]);
        var expected = text[..text.IndexOf("---", StringComparison.Ordinal)].Replace("You coach.\r\n    Be kind.\r\n", "New.\r\n    Prompt.\r\n", StringComparison.Ordinal)
            + text[text.IndexOf("---", StringComparison.Ordinal)..];
        outcome.Text.ShouldBe(expected);
        outcome.Report.Left.Where(l => l.Address == "persona.coach").ShouldBeEmpty();
    }

    [Fact]
    public void A_field_set_through_an_env_reference_is_left_and_reported()
    {
        var text = Commented.Replace("persona_name: \"Coach\"", "persona_name: ${env:COACH_NAME}", StringComparison.Ordinal);
        var renamed = Adopt(text, Live(p => { p["pipeline_mode"] = "echo"; }), name => name == "COACH_NAME" ? "Coach" : null);
        renamed.Text.ShouldContain("persona_name: ${env:COACH_NAME}");
        renamed.Text.ShouldContain("pipeline_mode: echo");

        // A field whose manifest value is a reference, changed live: reported, not written.
        var prompt = Commented.Replace("system_prompt: |\n    You coach.\n    Be kind.\n", "system_prompt: \"${env:PROMPT}\"\n", StringComparison.Ordinal);
        var left = Adopt(prompt, Live(p => p["system_prompt"] = "Changed in the dashboard."), name => name == "PROMPT" ? "You coach." : null);
        left.Report.Files.ShouldBeEmpty();
        left.Report.Left.Single().Field.ShouldBe("system_prompt");
        left.Report.Left.Single().Reason.ShouldContain("${env:...}");
        left.After.HasChanges.ShouldBeTrue();
    }

    [Fact]
    public void A_secret_is_never_written_nor_shown()
    {
        const string text = """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: Coach
              system_prompt: |
                You coach.
                Be kind.
              pipeline_mode: full
              default_replica_id: r1
              layers:
                llm:
                  model: my-model
                  base_url: https://llm.example.com/v1
                  api_key: ${env:LLM_KEY}
            """;
        var outcome = Adopt(text, Live(p => _ = p.Remove("greeting") && p.TryAdd("layers", new JsonObject
        {
            ["llm"] = new JsonObject { ["model"] = "other-model", ["base_url"] = "https://llm.example.com/v1", ["api_key"] = "sk-live-value-from-dashboard" },
        })), name => name == "LLM_KEY" ? "sk-manifest-value" : null);
        outcome.Text.ShouldBe(text.Replace("model: my-model", "model: other-model", StringComparison.Ordinal));
        var left = outcome.Report.Left.Single();
        left.Field.ShouldBe("layers.llm.api_key");
        left.Reason.ShouldContain("secret");
        left.ToString().ShouldNotContain("sk-");
        outcome.Text.ShouldNotContain("sk-");
    }

    [Fact]
    public void A_live_value_that_holds_a_known_secret_is_left()
    {
        var outcome = Adopt(Commented, Live(p => p["context"] = "key: tvs-secret-123"), known: s => s.Contains("tvs-secret-123", StringComparison.Ordinal));
        outcome.Report.Files.ShouldBeEmpty();
        outcome.Report.Left.Single().Field.ShouldBe("context");
        outcome.Report.Left.Single().ToString().ShouldNotContain("tvs-secret-123");
    }

    [Fact]
    public void A_literal_dollar_brace_live_is_written_escaped()
    {
        var outcome = Adopt(Commented, Live(p => p["context"] = "Costs ${price}."));
        outcome.Text.ShouldContain("  context: Costs $${price}.\n");
        ShouldBeClean(outcome);
    }

    [Fact]
    public void A_value_written_through_an_anchor_or_alias_is_left_and_the_rest_adopted()
    {
        const string text = """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
            spec:
              persona_name: &name Coach
              context: *name
              system_prompt: |
                You coach.
                Be kind.
              pipeline_mode: full
              default_replica_id: r1
            """;
        var outcome = Adopt(text, Live(p =>
        {
            p.Remove("greeting");
            p["context"] = "Runners.";
            p["pipeline_mode"] = "echo";
        }));
        outcome.Text.ShouldBe(text.Replace("pipeline_mode: full", "pipeline_mode: echo", StringComparison.Ordinal));
        var left = outcome.Report.Left.Single();
        left.Field.ShouldBe("context");
        left.Reason.ShouldContain("anchor or alias");
    }

    [Fact]
    public void A_live_value_that_would_make_the_manifest_invalid_is_left_and_the_rest_adopted()
    {
        var outcome = Adopt(Commented, Live(p =>
        {
            p["pipeline_mode"] = "not-a-mode";
            p["context"] = "fine";
        }));
        outcome.Text.ShouldBe(Commented.Replace("  greeting: \"Hi there\"\n", "  greeting: \"Hi there\"\n  context: fine\n", StringComparison.Ordinal));
        var left = outcome.Report.Left.Single();
        left.Field.ShouldBe("pipeline_mode");
        left.Reason.ShouldContain("would make the manifest invalid");
    }

    [Fact]
    public void A_UTF16_file_is_written_back_in_UTF16_with_its_byte_order_mark()
    {
        var bytes = new byte[] { 0xFF, 0xFE }.Concat(Encoding.Unicode.GetBytes(Commented)).ToArray();
        var file = new SourceFile(Path, bytes);
        var validation = ManifestValidator.Validate([file]);
        var live = Live(p => p["context"] = "Überall.");
        var plan = Planner.Create(TestKeys.Target("test"), validation.Manifests, [live], _ => null);
        var report = DriftAdopter.Adopt(plan, validation.Manifests, [live], [file], _ => false);
        var written = report.Files.Single().Content.ToArray();
        written.Take(2).ShouldBe(new byte[] { 0xFF, 0xFE });
        Encoding.Unicode.GetString(written.AsSpan(2)).ShouldBe(Commented.Replace("  greeting: \"Hi there\"\n", "  greeting: \"Hi there\"\n  context: Überall.\n", StringComparison.Ordinal));
    }

    private const string Tools = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: |
            You coach.
            Be kind.
          pipeline_mode: full
          default_replica_id: r1
          layers:
            llm:
              model: my-model
              tools:
                - type: function
                  function:
                    name: log_run
                    description: Logs a run the user describes.
                    parameters:
                      type: object
                      properties:
                        km:
                          type: number
        """;

    [Fact]
    public void A_tool_changed_live_keeps_the_description_Tavus_does_not_return()
    {
        var outcome = Adopt(Tools, Live(p =>
        {
            p.Remove("greeting");
            p["layers"] = new JsonObject
            {
                ["llm"] = new JsonObject
                {
                    ["model"] = "my-model",
                    ["tools"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = "log_run",
                            ["parameters"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["miles"] = new JsonObject { ["type"] = "number" } } },
                        },
                    }),
                },
            };
        }));
        outcome.Text.ShouldBe(Tools.Replace(" km:\n", " miles:\n", StringComparison.Ordinal));
        ShouldBeClean(outcome);
    }

    [Fact]
    public void Headers_added_live_are_secrets_and_left()
    {
        var outcome = Adopt(Tools, Live(p =>
        {
            p.Remove("greeting");
            p["layers"] = JsonNode.Parse("""{"llm": {"model": "my-model", "headers": {"X-Api-Key": "hdr-secret-77"}}}""");
            p["layers"]!["llm"]!["tools"] = JsonNode.Parse("""[{"type": "function", "function": {"name": "log_run", "parameters": {"type": "object", "properties": {"km": {"type": "number"}}}}}]""");
        }));
        outcome.Report.Left.Single().Field.ShouldBe("layers.llm.headers.X-Api-Key");
        outcome.Text.ShouldBe(Tools);
        outcome.Report.Left.Single().ToString().ShouldNotContain("hdr-secret-77");
    }

    [Fact]
    public void A_field_metadata_ignore_names_keeps_the_manifest_s_value_even_inside_a_value_rewritten_whole()
    {
        const string text = """
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: coach
              ignore: [/layers/llm/extra_body/seed, /context]
            spec:
              persona_name: Coach
              system_prompt: |
                You coach.
                Be kind.
              pipeline_mode: full
              default_replica_id: r1
              context: Git's.
              layers:
                llm:
                  extra_body: {temperature: 0.5, seed: 1}
            """;
        var live = Live(p =>
        {
            p.Remove("greeting");
            p["context"] = "Live's.";
            p["layers"] = JsonNode.Parse("""{"llm": {"extra_body": {"temperature": 0.7, "seed": 99}}}""");
        });
        var file = new SourceFile(Path, Encoding.UTF8.GetBytes(text));
        var validation = ManifestValidator.Validate([file]);
        validation.HasErrors.ShouldBeFalse(string.Join("\n", validation.Diagnostics));
        var plan = Planner.Create(TestKeys.Target("test"), validation.Manifests, [live], _ => null);
        var report = DriftAdopter.Adopt(plan, validation.Manifests, [live], [file], _ => false);
        var written = Encoding.UTF8.GetString(report.Files.Single().Content.Span);
        written.ShouldContain("extra_body: {temperature: 0.7, seed: 1}");
        written.ShouldContain("context: Git's.");
        report.Left.ShouldAllBe(l => l.Reason.Contains("metadata.ignore", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_documents_of_one_file_both_drifted_are_both_adopted_in_place()
    {
        var text = Commented + "---\n" + Commented.Replace("name: coach", "name: other", StringComparison.Ordinal).Replace("\"Coach\"", "\"Other\"", StringComparison.Ordinal);
        var coach = Live(p => p["system_prompt"] = "Coach prompt.\nTwo lines.\n");
        var other = Live(p =>
        {
            p["persona_id"] = "p2";
            p["persona_name"] = "Other";
            p["context"] = "Other's context.";
            p.Remove("greeting");
        });
        var file = new SourceFile(Path, Encoding.UTF8.GetBytes(text));
        var validation = ManifestValidator.Validate([file]);
        var plan = Planner.Create(TestKeys.Target("test"), validation.Manifests, [coach, other], _ => null);
        var report = DriftAdopter.Adopt(plan, validation.Manifests, [coach, other], [file], _ => false);
        report.Left.ShouldBeEmpty();
        report.Files.Single().Fields.ShouldBe(["system_prompt", "context", "greeting"]);
        var second = Commented.Replace("name: coach", "name: other", StringComparison.Ordinal).Replace("\"Coach\"", "\"Other\"", StringComparison.Ordinal);
        Encoding.UTF8.GetString(report.Files.Single().Content.Span).ShouldBe(
            Commented.Replace("You coach.\n    Be kind.\n", "Coach prompt.\n    Two lines.\n", StringComparison.Ordinal) + "---\n"
            + second.Replace("  greeting: \"Hi there\"\n", "  context: Other's context.\n", StringComparison.Ordinal));
    }

    [Fact]
    public void A_persona_missing_live_or_marked_absent_is_reported_not_rewritten()
    {
        var text = Commented;
        var file = new SourceFile(Path, Encoding.UTF8.GetBytes(text));
        var validation = ManifestValidator.Validate([file]);
        var plan = Planner.Create(TestKeys.Target("test"), validation.Manifests, [], _ => null);
        var report = DriftAdopter.Adopt(plan, validation.Manifests, [], [file], _ => false);
        report.Files.ShouldBeEmpty();
        report.Left.Single().Field.ShouldBe("the persona");
        report.Complete.ShouldBeFalse();
    }
}
