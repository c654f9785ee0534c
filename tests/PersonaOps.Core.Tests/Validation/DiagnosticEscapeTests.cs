using System.Text;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Validation;

/// <summary>A diagnostic that quotes user text (an unknown key, a bad value) cannot move the cursor or inject a workflow command.</summary>
public sealed class DiagnosticEscapeTests
{
    [Fact]
    public void ControlCharactersInQuotedUserText_AreShownEscaped_InTextAndGitHubFormats()
    {
        const string yaml = "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\nspec:\n  persona_name: Coach\n  system_prompt: Hi.\n  \"mod\\e[2J\\u009bel\": 1\n  pipeline_mode: \"full\\e]0;pwned\\a\"\n";
        var result = ManifestValidator.Validate([new SourceFile("personas/coach.yaml", Encoding.UTF8.GetBytes(yaml))]);
        result.Diagnostics.Count.ShouldBe(2, string.Join("\n", result.Diagnostics));

        foreach (var diagnostic in result.Diagnostics)
        {
            var text = DiagnosticFormatter.FormatText(diagnostic);
            var github = DiagnosticFormatter.FormatGitHub(diagnostic);
            text.ShouldNotContain("\u001b");
            text.ShouldNotContain("\u009b");
            text.ShouldNotContain("\u0007");
            github.ShouldNotContain("\u001b");
            github.ShouldNotContain("\u0007");
        }

        DiagnosticFormatter.FormatText(result.Diagnostics[0]).ShouldContain("mod\\u001b[2J\\u009bel");
    }
}
