using System.Text;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Validation;

internal static class ValidationHarness
{
    public const string Valid = """
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: coach
        spec:
          persona_name: Coach
          system_prompt: You coach people.
        """;

    public static ValidationResult Validate(params (string Path, string Yaml)[] files) =>
        ManifestValidator.Validate(files.Select(f => new SourceFile(f.Path, Encoding.UTF8.GetBytes(f.Yaml))));

    public static ValidationResult ValidateBytes(string path, byte[] content) =>
        ManifestValidator.Validate([new SourceFile(path, content)]);

    /// <summary>The single diagnostic with <paramref name="code"/>; fails listing all diagnostics otherwise.</summary>
    public static Diagnostic Single(this ValidationResult result, string code)
    {
        var matching = result.Diagnostics.Where(d => d.Code == code).ToArray();
        matching.Length.ShouldBe(1, $"expected one {code}; got:\n{string.Join("\n", result.Diagnostics)}");
        return matching[0];
    }

    public static void ShouldBeAt(this Diagnostic diagnostic, string file, int line, int column)
    {
        diagnostic.File.ShouldBe(file);
        diagnostic.Position.ShouldBe(new SourcePosition(line, column), diagnostic.ToString());
    }

    public static void ShouldBeClean(this ValidationResult result) =>
        result.Diagnostics.ShouldBeEmpty(string.Join("\n", result.Diagnostics));
}
