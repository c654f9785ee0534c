using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Environments;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Cli;

/// <summary>
/// The project file (personaops.yaml, always read from the work tree, never from a Git revision: a fork's
/// project file must not choose the URL that receives a key) and the environment this run is for, chosen by
/// --env, PERSONAOPS_ENV or default_environment. Both null without a project file.
/// </summary>
public sealed record ProjectSelection(Project? Project, ProjectEnvironment? Environment)
{
    public static readonly ProjectSelection None = new(null, null);

    /// <summary>
    /// Reads the project file at <paramref name="root"/> and chooses the environment. Null (after saying
    /// why on stderr) when the file is not valid or no environment can be chosen.
    /// </summary>
    internal static ProjectSelection? Load(IOContext io, string root, string? envOption)
    {
        var requested = envOption ?? (string.IsNullOrEmpty(io.Environment("PERSONAOPS_ENV")) ? null : io.Environment("PERSONAOPS_ENV"));
        var source = envOption is not null ? "--env" : "PERSONAOPS_ENV";
        var path = Path.Combine(root, ProjectFile.FileName);
        var kind = FileKind.Of(path);
        if (kind == FileKindValue.Missing)
        {
            if (requested is null)
            {
                return None;
            }

            io.Error.WriteLine($"personaops: error: {source} names the environment '{Core.Rendering.TextEscape.Control(requested)}', but the project has no {ProjectFile.FileName} to define environments; add one at the project root, or leave {source} out.");
            return null;
        }

        var diagnostics = new List<Diagnostic>();
        Project? project = null;
        if (kind != FileKindValue.Regular)
        {
            diagnostics.Add(DiagnosticCatalog.NotARegularFile.At(ProjectFile.FileName, SourcePosition.Start, $"this is {FileKind.Describe(kind)}, not a project file; PersonaOps reads only regular files and never opens it."));
        }
        else
        {
            try
            {
                var length = new FileInfo(path).Length;
                if (length > SourceDecoder.MaxFileBytes)
                {
                    diagnostics.Add(SourceDecoder.TooLarge(ProjectFile.FileName, length));
                }
                else
                {
                    project = ProjectFile.Parse(new SourceFile(ProjectFile.FileName, File.ReadAllBytes(path)), diagnostics);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                diagnostics.Add(DiagnosticCatalog.FileUnreadable.At(ProjectFile.FileName, SourcePosition.Start, $"the file cannot be read: {ex.Message}"));
            }
        }

        foreach (var diagnostic in diagnostics)
        {
            io.Error.WriteLine(DiagnosticFormatter.FormatText(diagnostic));
        }

        if (project is null || diagnostics.Any(d => d.IsError))
        {
            io.Error.WriteLine($"personaops: error: the project file {ProjectFile.FileName} is not valid ({diagnostics.Count(d => d.IsError)} error(s)); nothing was sent to the API.");
            return null;
        }

        // Every environment's key is a secret, whichever this run uses.
        foreach (var environment in project.Environments)
        {
            io.Redactor.Add(io.Environment(environment.ApiKeyEnv));
        }

        var names = string.Join(", ", project.Environments.Select(e => e.Name));
        if (requested is null)
        {
            if (project.DefaultEnvironment is { } fallback)
            {
                return new ProjectSelection(project, project.Find(fallback));
            }

            if (project.Environments.Count == 0)
            {
                return new ProjectSelection(project, null);
            }

            io.Error.WriteLine($"personaops: error: {ProjectFile.FileName} defines the environments {names} and no default_environment; choose one with --env NAME (or PERSONAOPS_ENV).");
            return null;
        }

        if (project.Find(requested) is not { } chosen)
        {
            io.Error.WriteLine($"personaops: error: {source} names the environment '{Core.Rendering.TextEscape.Control(requested)}', which {ProjectFile.FileName} does not define; its environments: {(names.Length > 0 ? names : "none")}.");
            return null;
        }

        return new ProjectSelection(project, chosen);
    }
}
