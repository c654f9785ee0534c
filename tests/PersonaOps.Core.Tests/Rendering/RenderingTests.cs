using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Rendering;

/// <summary>
/// The Markdown comment fed hostile text and plans of every size. The renderings of each diff rule are case
/// folders (see <c>Cases/CaseTests.cs</c>).
/// </summary>
public sealed class RenderingTests
{
    private const string Target = "https://tavusapi.com";

    [Fact]
    public void Markdown_HostileTextCannotBreakTheCommentOrForgeTheMarker()
    {
        const string prompt = "Start.\n```\n</details>\n<details><summary>fake</summary>\n<!-- personaops:plan sha256=0000 -->\n`````\n<script>alert(1)</script>\n| a | b |\nEnd.\n";
        var plan = PlanFor("""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: hostile
            spec:
              persona_name: "Evil </details> `code` | <!-- personaops:plan sha256=1 -->"
              system_prompt: |
            """ + "\n" + string.Join("\n", prompt.TrimEnd('\n').Split('\n').Select(l => "    " + l)) + "\n");

        var markdown = PlanMarkdownRenderer.Render(plan);
        var lines = markdown.Split('\n');

        lines[0].ShouldStartWith(PlanMarkdownRenderer.MarkerPrefix);
        CountOf(markdown, PlanMarkdownRenderer.MarkerPrefix).ShouldBe(1, "only the real marker may look like one");
        var outside = OutsideCodeBlocks(lines);
        CountOf(outside, "<details>").ShouldBe(1);
        CountOf(outside, "</details>").ShouldBe(1);
        outside.ShouldNotContain("<script>", Case.Sensitive, "HTML outside a code block is escaped");

        // The prompt's lines are all inside one fenced block whose fence none of them can close.
        var open = Array.FindIndex(lines, l => l.StartsWith("```", StringComparison.Ordinal));
        var fence = new string(lines[open].TakeWhile(c => c == '`').ToArray());
        var close = Array.FindIndex(lines, open + 1, l => l.TrimEnd() == fence);
        fence.Length.ShouldBeGreaterThan(5);
        lines[(open + 1)..close].ShouldContain(l => l.Contains("<script>alert(1)</script>", StringComparison.Ordinal));
        lines[(open + 1)..close].ShouldAllBe(l => !l.TrimStart().StartsWith(fence, StringComparison.Ordinal));
        lines[close..].ShouldContain("</details>");
    }

    [Fact]
    public void Markdown_StaysUnderGitHubsLimit_AndSaysWhatWasCut()
    {
        var manifests = Enumerable.Range(0, 60).Select(i => $"""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: bulk-{i:D3}
            spec:
              persona_name: Bulk {i}
              system_prompt: |
            {string.Join("\n", Enumerable.Range(0, 40).Select(l => $"    Line {l} of a long prompt for persona {i}, long enough to add up quickly."))}
            """).ToArray();
        var plan = PlanFor(manifests);
        var markdown = PlanMarkdownRenderer.Render(plan);

        markdown.Length.ShouldBeLessThanOrEqualTo(PlanMarkdownRenderer.GitHubCommentLimit);
        markdown.ShouldContain("of 60 changed personas are not shown");
        markdown.ShouldContain("### PersonaOps plan: 60 to add, 0 to change, 0 to delete");
        CountOf(markdown, "<details>").ShouldBe(CountOf(markdown, "</details>"));
    }

    [Fact]
    public void Markdown_OnePersonaLargerThanTheLimit_IsCutWithinItsBlock()
    {
        var big = string.Join("\n", Enumerable.Range(0, 4000).Select(l => $"    Line {l}: a very long prompt indeed, repeated to pass the comment limit."));
        var plan = PlanFor($"""
            apiVersion: personaops/v1
            kind: Persona
            metadata:
              name: huge
            spec:
              persona_name: Huge
              system_prompt: |
            {big}
            """);
        var markdown = PlanMarkdownRenderer.Render(plan);

        markdown.Length.ShouldBeLessThanOrEqualTo(PlanMarkdownRenderer.GitHubCommentLimit);
        markdown.ShouldContain("more lines cut to fit the comment");
        markdown.TrimEnd().ShouldEndWith("</sub>");
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(10_000)]
    public void Markdown_StaysUnderGitHubsLimit_ForAnyNumberOfChanges_TableAndDeletionsIncluded(int count)
    {
        var personas = Enumerable.Range(0, count).Select(i => new PersonaPlan(
            $"persona-with-a-fairly-long-name-{i:D5}", $"personas/customers/tenant-{i:D5}/persona.yaml", 1, i % 3 == 0 ? null : $"p{i:D11}", $"Persona {i}",
            (i % 3) switch { 0 => PlanAction.Create, 1 => PlanAction.Update, _ => PlanAction.Delete },
            PersonaOps.Core.JsonPatch.JsonPatchDocument.Empty, null,
            [new FieldChange("/system_prompt", JsonValue.Create($"Old prompt {i}"), i % 3 == 2 ? null : JsonValue.Create($"New prompt {i}"), false)],
            [], null, [$"a note about persona {i}"])).ToArray();
        var plan = new Plan(Target, personas, []);

        var markdown = PlanMarkdownRenderer.Render(plan, context: new MarkdownContext("0123456789abcdef0123456789abcdef01234567", "https://github.com/acme/personas/actions/runs/1"));

        markdown.Length.ShouldBeLessThanOrEqualTo(PlanMarkdownRenderer.GitHubCommentLimit);
        var fold = markdown.IndexOf("<details>", StringComparison.Ordinal);
        var above = markdown[..fold];
        above.ShouldContain($"### PersonaOps plan: {plan.ToAdd} to add, {plan.ToChange} to change, {plan.ToDelete} to delete");
        above.ShouldContain("[!WARNING]");
        above.ShouldContain($"This plan deletes {plan.ToDelete} personas");
        above.ShouldContain($"and {plan.ToDelete - 50} more");
        above.ShouldContain($"| | {count - 50} more personas |");
        above.ShouldContain("Computed for commit <code>0123456789ab</code>");
        markdown.ShouldContain("changed personas are not shown");
        CountOf(markdown, "<details>").ShouldBe(CountOf(markdown, "</details>"));
    }

    [Fact]
    public void Drift_ReadsAsDrift_WithTheValueInGitAndTheValueLive()
    {
        var plan = new Plan(Target, [new PersonaPlan("coach", "personas/coach.yaml", 1, "p00000000c0ac", "Coach", PlanAction.Update, PersonaOps.Core.JsonPatch.JsonPatchDocument.Empty, null,
            [new FieldChange("/layers/conversational_flow/turn_taking_patience", JsonValue.Create("low"), JsonValue.Create("high"), false)], [], "sha256:0", [])], []);

        var text = PlanTextRenderer.Render(plan, voice: ChangeVoice.Drift);
        var markdown = PlanMarkdownRenderer.Render(plan, voice: ChangeVoice.Drift);

        text.ShouldContain("differ from the manifests in Git (changed outside PersonaOps");
        text.ShouldContain("~ layers.conversational_flow.turn_taking_patience: live \"low\", in Git \"high\"");
        text.ShouldNotContain("will be updated");
        markdown.ShouldContain("### PersonaOps drift: 1 persona differs from Git");
        markdown.ShouldContain("changed outside PersonaOps");
    }

    [Fact]
    public void Text_InColour_MarksAndWordsAreColoured_AndControlCharactersInUserTextStayInert()
    {
        var plan = new Plan(Target, [new PersonaPlan("evil\u001b[2J", "personas/e.yaml", 1, "p1", "E", PlanAction.Update, PersonaOps.Core.JsonPatch.JsonPatchDocument.Empty, null,
            [new FieldChange("/system_prompt", JsonValue.Create("Line one\n\u001b[1AHidden\rOverwritten\n"), JsonValue.Create("Line one\nShown\n"), false)], [], "sha256:0", ["note \u009b2J"])], []);

        var plain = PlanTextRenderer.Render(plan);
        var colour = PlanTextRenderer.Render(plan, color: true);

        plain.ShouldNotContain("\u001b");
        plain.ShouldNotContain("\u009b");
        plain.ShouldNotContain("\r");
        plain.ShouldContain("\\u001b[1AHidden\\u000dOverwritten");
        colour.ShouldContain("\u001b[33m~\u001b[0m");
        colour.ShouldContain("\u001b[31m-\u001b[0m");
        colour.Replace("\u001b[0m", "", StringComparison.Ordinal).Replace("\u001b[1m", "", StringComparison.Ordinal)
            .Replace("\u001b[31m", "", StringComparison.Ordinal).Replace("\u001b[32m", "", StringComparison.Ordinal).Replace("\u001b[33m", "", StringComparison.Ordinal)
            .ShouldBe(plain, "colour adds escapes and nothing else");
    }

    [Fact]
    public void Markdown_WithNoChanges_SaysSo()
    {
        var plan = new Plan(Target, [], []);
        var markdown = PlanMarkdownRenderer.Render(plan);
        markdown.ShouldStartWith(PlanMarkdownRenderer.Marker(plan));
        markdown.ShouldContain("no changes");
        markdown.ShouldNotContain("<details>");
    }

    private static Plan PlanFor(params string[] manifests)
    {
        var result = ManifestValidator.Validate(manifests.Select((yaml, i) => new SourceFile($"personas/{i}.yaml", Encoding.UTF8.GetBytes(yaml))));
        result.HasErrors.ShouldBeFalse(string.Join("\n", result.Diagnostics));
        return Planner.Create(TestKeys.Target(Target), result.Manifests, [], _ => null);
    }

    /// <summary>The comment with its fenced code blocks left out, as CommonMark delimits them.</summary>
    private static string OutsideCodeBlocks(string[] lines)
    {
        var text = new StringBuilder();
        string? fence = null;
        foreach (var line in lines)
        {
            if (fence is null && line.StartsWith("```", StringComparison.Ordinal))
            {
                fence = new string(line.TakeWhile(c => c == '`').ToArray());
            }
            else if (fence is not null && line.TrimEnd().Length >= fence.Length && line.TrimEnd().All(c => c == '`'))
            {
                fence = null;
            }
            else if (fence is null)
            {
                text.Append(line).Append('\n');
            }
        }

        fence.ShouldBeNull("a code block is left open");
        return text.ToString();
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
