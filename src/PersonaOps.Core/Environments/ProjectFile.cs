using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Environments;

/// <summary>One environment of the project file: the account it targets and the folder of its overlays.</summary>
public sealed record ProjectEnvironment(string Name, string ApiKeyEnv, string? ApiUrl, string? Sandbox, string Overlays);

/// <summary>The project file as read: its environments in file order, and the default one.</summary>
public sealed record Project(string File, IReadOnlyList<ProjectEnvironment> Environments, string? DefaultEnvironment)
{
    public ProjectEnvironment? Find(string name) => Environments.FirstOrDefault(e => e.Name == name);
}

/// <summary>
/// Reads the project file, <c>personaops.yaml</c>, from its bytes: YAML with positions, its JSON Schema
/// (<c>schemas/project/v1/project.schema.json</c>), then what the schema cannot say. Pure.
/// </summary>
public static partial class ProjectFile
{
    public const string FileName = "personaops.yaml";

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex Slug();

    /// <summary>The project, or null when it has errors (added to <paramref name="diagnostics"/>).</summary>
    public static Project? Parse(SourceFile file, List<Diagnostic> diagnostics)
    {
        var errors = diagnostics.Count(d => d.IsError);
        var text = SourceDecoder.Decode(file, diagnostics);
        if (text is null)
        {
            return null;
        }

        var documents = YamlDocumentReader.Read(file.Path, text, diagnostics).Where(d => d.Root is not null).ToArray();
        if (diagnostics.Count(d => d.IsError) > errors)
        {
            return null;
        }

        if (documents.Length != 1 || documents[0].Root is not JsonObject root)
        {
            diagnostics.Add(DiagnosticCatalog.ProjectInvalid.At(file.Path, documents.Length > 1 ? documents[1].Map.DocumentStart : SourcePosition.Start,
                "the project file holds one YAML mapping, with environments (and default_environment); see schemas/project/v1/project.schema.json."));
            return null;
        }

        var map = documents[0].Map;
        Validation.SchemaValidation.Validate(file.Path, root, map, KindSchema.Project, diagnostics, "the project file");
        if (diagnostics.Count(d => d.IsError) > errors)
        {
            return null;
        }

        var environments = new List<ProjectEnvironment>();
        foreach (var (name, node) in root["environments"]!.AsObject())
        {
            var at = "/environments/" + JsonPointer.Escape(name);
            if (!Slug().IsMatch(name))
            {
                diagnostics.Add(DiagnosticCatalog.ProjectInvalid.At(file.Path, map.KeyAt(at), $"the environment name '{name}' must be a lowercase slug (letters a-z, digits and '-'), such as staging or production."));
                continue;
            }

            var environment = node!.AsObject();
            var overlays = environment["overlays"]?.GetValue<string>() ?? $"environments/{name}";
            if (Path.IsPathRooted(overlays) || overlays.Replace('\\', '/').Split('/').Contains(".."))
            {
                diagnostics.Add(DiagnosticCatalog.ProjectInvalid.At(file.Path, map.ValueAt(at + "/overlays"), $"environments.{name}.overlays must be a folder inside the project, relative to it (no '..', not absolute)."));
                continue;
            }

            environments.Add(new ProjectEnvironment(name, environment["api_key_env"]!.GetValue<string>(), environment["api_url"]?.GetValue<string>(), environment["sandbox"]?.GetValue<string>(), overlays));
        }

        var defaultName = root["default_environment"]?.GetValue<string>();
        if (defaultName is not null && environments.All(e => e.Name != defaultName) && diagnostics.Count(d => d.IsError) == errors)
        {
            diagnostics.Add(DiagnosticCatalog.ProjectInvalid.At(file.Path, map.ValueAt("/default_environment"),
                $"default_environment is '{defaultName}', which is not one of the environments ({string.Join(", ", environments.Select(e => e.Name))})."));
        }

        return diagnostics.Count(d => d.IsError) > errors ? null : new Project(file.Path, environments, defaultName);
    }
}
