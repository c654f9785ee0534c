using LibGit2Sharp;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Cli;

/// <summary>
/// Reads the manifests as they were at a revision of the Git repository that holds the project (the base of
/// a three-way plan): from Git's objects through LibGit2Sharp, whatever the work tree holds now. The same
/// folders and rules as <see cref="ManifestFiles"/>: *.yaml and *.yml, hidden folders skipped, the same
/// size limit, paths shown relative to the project root. A symbolic link or a submodule in the tree is
/// skipped: at a revision there is no file system to resolve it against.
/// </summary>
internal static class GitRevisionFiles
{
    /// <summary>The files at the revision, the commit it named, or why it could not be read.</summary>
    public sealed record Result(IReadOnlyList<SourceFile> Files, IReadOnlyList<Diagnostic> Diagnostics, string? Commit, string? Error);

    /// <summary>The commit a revision names, or why it names none; no file is read.</summary>
    public static Result Commit(string root, string currentDirectory, string revision, string option = "--base") => Read(root, currentDirectory, revision, paths: null, option);

    /// <param name="option">The option that named the revision (--base, --head), for the messages.</param>
    public static Result Read(string root, string currentDirectory, string revision, IReadOnlyList<string>? paths, string option = "--base")
    {
        // The revision as messages show it: a name given on the command line may hold control characters.
        var shown = Core.Rendering.TextEscape.Control(revision);
        string? location;
        try
        {
            location = Repository.Discover(root);
        }
        catch (LibGit2SharpException)
        {
            location = null;
        }

        if (location is null)
        {
            return Failed($"{option} needs the project to be inside a Git repository, and {Shown(currentDirectory, root)} is not; run plan without {option}, or from the repository's checkout.");
        }

        try
        {
            using var repository = new Repository(location);
            if (repository.Info.WorkingDirectory is not { } workTree)
            {
                return Failed($"{option} needs a checkout with a work tree, and this repository is bare.");
            }

            var commit = Resolve(repository, revision, shown, option, out var problem);
            if (commit is null)
            {
                return Failed(problem!);
            }

            if (paths is null)
            {
                return new Result([], [], commit.Sha, null);
            }

            var files = new List<SourceFile>();
            var diagnostics = new List<Diagnostic>();
            var requested = paths.Count > 0 ? paths.Select(p => Path.GetFullPath(p, currentDirectory)).ToArray() : [Path.Combine(root, "personas")];
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var full in requested)
            {
                var inRepository = Path.GetRelativePath(workTree, full).Replace(Path.DirectorySeparatorChar, '/');
                if (inRepository.StartsWith("../", StringComparison.Ordinal) || inRepository == "..")
                {
                    return Failed($"{Shown(currentDirectory, full)} is outside the Git repository at {Shown(currentDirectory, workTree)}, so it has no version at {shown}.");
                }

                // A path absent at the base is no error: everything under it is new in this change.
                var entry = inRepository == "." ? null : commit[inRepository];
                var tree = inRepository == "." ? commit.Tree : entry?.Target as Tree;
                if (entry?.Target is Blob blob && entry.Mode is Mode.NonExecutableFile or Mode.ExecutableFile)
                {
                    Add(root, full, blob, seen, files, diagnostics);
                }
                else if (tree is not null)
                {
                    Walk(root, full, tree, seen, files, diagnostics);
                }
            }

            return new Result(files, diagnostics, commit.Sha, null);
        }
        catch (LibGit2SharpException ex)
        {
            return Failed($"the Git repository could not be read at {shown}: {Core.Rendering.TextEscape.Control(ex.Message)}");
        }
    }

    private static Commit? Resolve(Repository repository, string revision, string shown, string option, out string? problem)
    {
        problem = null;
        GitObject? found;
        try
        {
            found = revision.Length == 0 || revision.StartsWith('-') ? null : repository.Lookup(revision);
        }
        catch (Exception ex) when (ex is LibGit2SharpException or ArgumentException)
        {
            found = null;
        }

        var commit = found switch
        {
            Commit c => c,
            TagAnnotation tag => tag.Target as Commit,
            _ => null,
        };
        if (commit is null)
        {
            problem = repository.Info.IsShallow
                ? $"{option} names '{shown}', which is not a commit of this repository; this clone is shallow, so older commits may be missing (fetch them, e.g. actions/checkout with fetch-depth: 0)."
                : $"{option} names '{shown}', which is not a commit of this repository (give a commit, branch or tag).";
        }

        return commit;
    }

    private static void Walk(string root, string directory, Tree tree, HashSet<string> seen, List<SourceFile> files, List<Diagnostic> diagnostics)
    {
        foreach (var entry in tree.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }

            var full = Path.Combine(directory, entry.Name);
            switch (entry.Mode)
            {
                case Mode.Directory when entry.Target is Tree child:
                    Walk(root, full, child, seen, files, diagnostics);
                    break;
                case Mode.NonExecutableFile or Mode.ExecutableFile when entry.Target is Blob blob && ManifestFiles.IsManifestName(entry.Name):
                    Add(root, full, blob, seen, files, diagnostics);
                    break;
            }
        }
    }

    private static void Add(string root, string full, Blob blob, HashSet<string> seen, List<SourceFile> files, List<Diagnostic> diagnostics)
    {
        var shown = ManifestFiles.Display(root, full);
        if (!seen.Add(shown))
        {
            return;
        }

        if (blob.Size > SourceDecoder.MaxFileBytes)
        {
            diagnostics.Add(SourceDecoder.TooLarge(shown, blob.Size));
            return;
        }

        using var content = blob.GetContentStream();
        using var buffer = new MemoryStream((int)blob.Size);
        content.CopyTo(buffer);
        files.Add(new SourceFile(shown, buffer.ToArray()));
    }

    private static string Shown(string currentDirectory, string path)
    {
        var relative = Path.GetRelativePath(currentDirectory, path);
        return relative == "." ? "the current folder" : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private static Result Failed(string error) => new([], [], null, error);
}
