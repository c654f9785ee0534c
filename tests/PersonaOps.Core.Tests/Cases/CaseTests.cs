using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Cases;

/// <summary>
/// One runner for the case folders beside this file, one folder per diff and rendering rule. A folder holds
/// <c>manifests.yaml</c> (one or more documents), <c>live.json</c> (the account's personas, as Tavus answers
/// them, PAL-era names included), optionally <c>env.json</c> (the environment variables) and <c>case.json</c> (<c>drift</c>: also
/// render in drift's voice; <c>color</c>: also render with ANSI colour), and the expected outputs:
/// <c>plan.txt</c>, <c>plan.json</c>, <c>plan.md</c>, <c>drift.txt</c> and <c>drift.md</c>, <c>plan.ansi.txt</c>,
/// and <c>diagnostics.txt</c> (present exactly when there are diagnostics). Set PERSONAOPS_UPDATE_GOLDEN=1 to
/// rewrite the expected files after a deliberate change, then review the diff.
/// </summary>
public sealed class CaseTests
{
    private const string Target = "https://tavusapi.com";

    public static TheoryData<string> Cases() => new(Directory.GetDirectories(Here()).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case(string name)
    {
        var folder = Path.Combine(Here(), name);
        var options = ReadJson(folder, "case.json") as JsonObject ?? [];
        var environment = (ReadJson(folder, "env.json") as JsonObject ?? []).ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal);
        var live = (ReadJson(folder, "live.json") as JsonArray ?? []).Select(p => p!.AsObject()).ToArray();
        var yaml = File.ReadAllBytes(Path.Combine(folder, "manifests.yaml"));

        var validation = ManifestValidator.Validate([new SourceFile("personas/manifests.yaml", yaml)]);
        var diagnostics = validation.Diagnostics.Select(DiagnosticFormatter.FormatText).ToList();
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var resolved = validation.HasErrors ? null : DesiredResolver.Resolve(validation.Manifests, n => environment.GetValueOrDefault(n), requireSecrets: false);
        diagnostics.AddRange(resolved?.Diagnostics.Select(DiagnosticFormatter.FormatText) ?? []);
        if (resolved is { HasErrors: false })
        {
            // The live documents pass the client's alias table first, as they do at the edge.
            var plan = Planner.Create(TestKeys.Target(Target), resolved, live.Select(PersonaKind.Identity.Normalize).ToArray(), n => environment.GetValueOrDefault(n));
            diagnostics.AddRange(plan.Errors.Select(DiagnosticFormatter.FormatText));
            outputs["plan.txt"] = PlanTextRenderer.Render(plan);
            outputs["plan.json"] = PlanDocument.Serialize(plan) + "\n";
            outputs["plan.md"] = PlanMarkdownRenderer.Render(plan, context: new MarkdownContext("0123456789abcdef0123456789abcdef01234567", "https://github.com/acme/personas/actions/runs/42"));
            if (options["drift"]?.GetValue<bool>() == true)
            {
                outputs["drift.txt"] = PlanTextRenderer.Render(plan, voice: ChangeVoice.Drift);
                outputs["drift.md"] = PlanMarkdownRenderer.Render(plan, voice: ChangeVoice.Drift);
            }

            if (options["color"]?.GetValue<bool>() == true)
            {
                outputs["plan.ansi.txt"] = PlanTextRenderer.Render(plan, color: true);
            }

            // What the plan file holds renders exactly as the plan it was written from.
            PlanDocument.TryParse(outputs["plan.json"], out var parsed, out var error).ShouldBeTrue(error);
            PlanTextRenderer.Render(parsed!).ShouldBe(outputs["plan.txt"]);
        }

        if (diagnostics.Count > 0)
        {
            outputs["diagnostics.txt"] = string.Join("\n", diagnostics) + "\n";
        }

        var update = Environment.GetEnvironmentVariable("PERSONAOPS_UPDATE_GOLDEN") == "1";
        foreach (var expected in Directory.GetFiles(folder).Select(Path.GetFileName).Where(f => IsOutput(f!) && !outputs.ContainsKey(f!)))
        {
            if (update)
            {
                File.Delete(Path.Combine(folder, expected!));
            }
            else
            {
                throw new ShouldAssertException($"{name}/{expected} is expected, but the case produces no such output");
            }
        }

        foreach (var (file, actual) in outputs)
        {
            var path = Path.Combine(folder, file);
            if (update)
            {
                File.WriteAllText(path, actual);
                continue;
            }

            File.Exists(path).ShouldBeTrue($"{name}/{file} is missing; run the tests with PERSONAOPS_UPDATE_GOLDEN=1 to write it, then review it");
            actual.ReplaceLineEndings("\n").ShouldBe(File.ReadAllText(path).ReplaceLineEndings("\n"), $"{name}/{file} differs; if the change is meant, rerun with PERSONAOPS_UPDATE_GOLDEN=1 and review the diff");
        }
    }

    private static bool IsOutput(string file) => file is "plan.txt" or "plan.json" or "plan.md" or "drift.txt" or "drift.md" or "plan.ansi.txt" or "diagnostics.txt";

    private static JsonNode? ReadJson(string folder, string file) =>
        File.Exists(Path.Combine(folder, file)) ? JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file), Encoding.UTF8)) : null;

    private static string Here([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
