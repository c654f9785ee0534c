using PersonaOps.Core.Adopting;
using PersonaOps.Core.Rendering;

namespace PersonaOps.Cli.Commands;

/// <summary>
/// <c>personaops drift --adopt</c>'s edge: hands the drift plan, the manifests, the live personas and the
/// files' bytes to <see cref="DriftAdopter"/>, writes each rewritten file atomically (unless it changed on
/// disk since it was read), and says on stderr what it changed, file by file, and what it left, with why.
/// </summary>
internal static class AdoptCommand
{
    public static async Task<int> RunAsync(IOContext io, WorkflowArguments arguments, PlannedRun run)
    {
        var manifests = run.Manifests!;
        var report = DriftAdopter.Adopt(run.Plan, manifests.Resolved.Resources.Select(r => r.Source).ToArray(), run.Live, manifests.Files,
            text => io.Redactor.Redact(text) != text);

        var failed = false;
        var left = report.Left.ToList();
        var adopted = 0;
        foreach (var file in report.Files)
        {
            var full = Path.GetFullPath(file.Path, arguments.Root);
            var shown = TextEscape.Control(file.Path);
            var original = manifests.Files.First(f => f.Path == file.Path).Content;
            byte[] current;
            try
            {
                current = await File.ReadAllBytesAsync(full);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                io.Error.WriteLine($"personaops: error: cannot read {shown} again to rewrite it: {ex.Message}");
                failed = true;
                continue;
            }

            if (!current.AsSpan().SequenceEqual(original.Span))
            {
                io.Error.WriteLine($"personaops: error: {shown} changed on disk while drift ran; it was not rewritten. Run drift --adopt again.");
                failed = true;
                continue;
            }

            // A link is followed: the file it names is rewritten, the link stays.
            var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
            if (await AtomicFile.WriteAsync(target, file.Content.ToArray()) is { } error)
            {
                io.Error.WriteLine($"personaops: error: cannot rewrite {shown}: {error}");
                failed = true;
                continue;
            }

            adopted += file.Fields.Count;
            io.Error.WriteLine($"personaops: adopted in {shown}: {string.Join(", ", file.Fields.Select(TextEscape.Control))}");
        }

        foreach (var field in left)
        {
            io.Error.WriteLine($"personaops: left in {TextEscape.Control(field.File)}: {field.Address} {TextEscape.Control(field.Field)}: {field.Reason}");
        }

        if (failed)
        {
            return ExitCodes.Error;
        }

        io.Error.WriteLine(left.Count == 0
            ? $"personaops: adopted {adopted} field(s) in {report.Files.Count} file(s); the manifests match live."
            : $"personaops: adopted {adopted} field(s) in {report.Files.Count} file(s); {left.Count} difference(s) left for a person (above).");
        return left.Count == 0 ? ExitCodes.Success : ExitCodes.Changes;
    }
}
