using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Cli;

/// <summary>
/// Finds and reads manifest files: the only place PersonaOps reads them from disk. Folders are searched
/// recursively for *.yaml and *.yml in a stable order, skipping hidden folders; a symbolic link that
/// leads out of the folder being searched is refused, so a manifest folder cannot pull in files from
/// elsewhere on the machine.
/// </summary>
internal static class ManifestFiles
{
    public sealed record Result(IReadOnlyList<SourceFile> Files, IReadOnlyList<Diagnostic> Diagnostics);

    public static Result Read(string root, string currentDirectory, IReadOnlyList<string> paths)
    {
        var files = new List<SourceFile>();
        var diagnostics = new List<Diagnostic>();
        var requested = paths.Count > 0
            ? paths.Select(p => (Full: Path.GetFullPath(p, currentDirectory), Shown: p)).ToArray()
            : [(Full: Path.Combine(root, "personas"), Shown: "personas/")];

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (full, shown) in requested)
        {
            if (File.Exists(full))
            {
                AddFile(root, full, seen, files, diagnostics, named: true);
            }
            else if (Directory.Exists(full))
            {
                var before = files.Count + diagnostics.Count;
                Walk(root, full, full, new HashSet<string>(StringComparer.Ordinal), seen, files, diagnostics);
                if (files.Count + diagnostics.Count == before)
                {
                    diagnostics.Add(DiagnosticCatalog.NoManifests.At(Display(root, full), SourcePosition.Start,
                        $"no manifests in {shown}: PersonaOps reads *.yaml and *.yml files."));
                }
            }
            else
            {
                diagnostics.Add(DiagnosticCatalog.PathNotFound.At(shown, SourcePosition.Start,
                    $"'{shown}' does not exist{(paths.Count == 0 ? "; create a personas/ folder with manifests, or name the files or folders to read" : "")}."));
            }
        }

        return new Result(files, diagnostics);
    }

    /// <summary>
    /// The overlay files of the run's environment (<see cref="IOContext.Project"/>), from its overlay folder
    /// in the work tree: none without an environment, or when the folder does not exist. The merge itself
    /// (<see cref="Core.Validation.ManifestValidator.Validate(IEnumerable{SourceFile}, IReadOnlyList{SourceFile}, Core.Kinds.KindRegistry?)"/>)
    /// is a function of the file lists, whichever reader (the work tree, a Git revision) supplied them.
    /// </summary>
    public static Result ReadOverlays(string root, Core.Environments.ProjectEnvironment? environment)
    {
        if (environment is null || !Directory.Exists(Path.Combine(root, environment.Overlays)))
        {
            return new Result([], []);
        }

        var read = Read(root, root, [Path.Combine(root, environment.Overlays)]);
        return read with { Diagnostics = [.. read.Diagnostics.Where(d => d.Code != DiagnosticCatalog.NoManifests.Code)] };
    }

    /// <summary>Whether a file name is one PersonaOps reads as a manifest in a folder: *.yaml or *.yml.</summary>
    public static bool IsManifestName(string name) =>
        name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>A path as users see it in diagnostics: relative to the project root, with '/' separators.</summary>
    public static string Display(string root, string full)
    {
        var relative = Path.GetRelativePath(root, full);
        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private static void Walk(string root, string boundary, string directory, HashSet<string> visited, HashSet<string> seen, List<SourceFile> files, List<Diagnostic> diagnostics)
    {
        var real = RealPath(directory);
        if (!visited.Add(real))
        {
            return;
        }

        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(DiagnosticCatalog.FileUnreadable.At(Display(root, directory), SourcePosition.Start, $"the folder cannot be read: {ex.Message}"));
            return;
        }

        foreach (var entry in entries)
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }

            var isManifest = entry is FileInfo && IsManifestName(entry.Name);
            if (entry is FileInfo && !isManifest)
            {
                continue;
            }

            if (entry.LinkTarget is not null)
            {
                var target = RealPath(entry.FullName);
                if (!IsWithin(RealPath(boundary), target))
                {
                    diagnostics.Add(DiagnosticCatalog.PathOutsideRoot.At(Display(root, entry.FullName), SourcePosition.Start,
                        $"this symbolic link leads outside {Display(root, boundary)}/ (to {target}); PersonaOps reads only manifests inside the folders it is given."));
                    continue;
                }
            }

            if (entry is DirectoryInfo)
            {
                Walk(root, boundary, entry.FullName, visited, seen, files, diagnostics);
            }
            else
            {
                AddFile(root, entry.FullName, seen, files, diagnostics, named: false);
            }
        }
    }

    /// <summary>
    /// Reads one manifest file. Only a regular file is opened: a named pipe would block the run until some
    /// writer appeared and a device never ends, so either is skipped with a warning inside a folder, and is
    /// an error when named on the command line.
    /// </summary>
    private static void AddFile(string root, string full, HashSet<string> seen, List<SourceFile> files, List<Diagnostic> diagnostics, bool named)
    {
        if (!seen.Add(RealPath(full)))
        {
            return;
        }

        var shown = Display(root, full);
        if (FileKind.Of(full) is var kind and not FileKindValue.Regular and not FileKindValue.Missing)
        {
            diagnostics.Add(named
                ? DiagnosticCatalog.NotARegularFile.At(shown, SourcePosition.Start, $"this is {FileKind.Describe(kind)}, not a manifest file; PersonaOps reads only regular files and never opens it.")
                : DiagnosticCatalog.SkippedSpecialFile.At(shown, SourcePosition.Start, $"skipped: this is {FileKind.Describe(kind)}, not a manifest file; PersonaOps reads only regular files and did not open it."));
            return;
        }

        try
        {
            var info = new FileInfo(full);
            if (info.Length > SourceDecoder.MaxFileBytes)
            {
                // Refused before reading: the size alone decides, and a huge file is never loaded.
                diagnostics.Add(SourceDecoder.TooLarge(shown, info.Length));
                return;
            }

            files.Add(new SourceFile(shown, File.ReadAllBytes(full)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(DiagnosticCatalog.FileUnreadable.At(shown, SourcePosition.Start, $"the file cannot be read: {ex.Message}"));
        }
    }

    private static string RealPath(string path)
    {
        try
        {
            var info = new FileInfo(path);
            var target = info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true) : null;
            var resolved = target?.FullName ?? Path.GetFullPath(path);

            // Resolve links in the parent folders too, so that containment compares real locations.
            var parent = Path.GetDirectoryName(resolved);
            return parent is null || parent == resolved ? resolved : Path.Combine(RealDirectory(parent), Path.GetFileName(resolved));
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }

    private static string RealDirectory(string directory)
    {
        var parent = Path.GetDirectoryName(directory);
        var resolvedParent = parent is null ? null : RealDirectory(parent);
        var here = resolvedParent is null ? directory : Path.Combine(resolvedParent, Path.GetFileName(directory));
        var info = new DirectoryInfo(here);
        return info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target ? RealDirectory(target.FullName) : here;
    }

    private static bool IsWithin(string boundary, string path) =>
        path == boundary || path.StartsWith(boundary.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
