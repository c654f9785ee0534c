namespace PersonaOps.Cli;

/// <summary>
/// Writes a file whole or not at all: the text goes to a temporary file beside it, which then replaces
/// the target in one rename. A plan file or manifest is never left half-written by a full disk, a signal
/// or kill -9, and a failure is a message rather than an exception.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Null on success; otherwise why the file could not be written (nothing was changed).</summary>
    public static Task<string?> WriteAsync(string path, string text) => WriteAsync(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Null on success; otherwise why the file could not be written (nothing was changed).</summary>
    public static async Task<string?> WriteAsync(string path, byte[] bytes)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path) ?? ".", $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await File.WriteAllBytesAsync(temporary, bytes);
            File.Move(temporary, path, overwrite: true);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The write already failed; a leftover temporary file is the lesser problem.
            }

            return ex.Message;
        }
    }
}
