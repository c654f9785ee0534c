using System.Text;
using PersonaOps.Core.Diagnostics;

namespace PersonaOps.Core.Manifests;

/// <summary>
/// Turns a file's bytes into text for the YAML parser, refusing what is not text: invalid UTF-8,
/// NUL bytes and other control characters YAML forbids. A UTF-8 byte order mark is dropped, and
/// UTF-16 with a byte order mark is accepted, as YAML 1.2 allows.
/// </summary>
public static class SourceDecoder
{
    /// <summary>Larger files are refused before parsing: a persona manifest is kilobytes, not megabytes.</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The diagnostic for a file over <see cref="MaxFileBytes"/>; the edge uses it before reading such a file.</summary>
    public static Diagnostic TooLarge(string path, long length) =>
        DiagnosticCatalog.FileTooLarge.At(path, SourcePosition.Start,
            $"the file is {FormatSize(length)}; manifests are limited to {FormatSize(MaxFileBytes)}. Split it into several files.");

    public static string? Decode(SourceFile file, List<Diagnostic> diagnostics)
    {
        var bytes = file.Content.Span;
        if (bytes.Length > MaxFileBytes)
        {
            diagnostics.Add(TooLarge(file.Path, bytes.Length));
            return null;
        }

        string text;
        if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
        {
            var encoding = bytes[0] == 0xFF
                ? new UnicodeEncoding(bigEndian: false, byteOrderMark: true, throwOnInvalidBytes: true)
                : new UnicodeEncoding(bigEndian: true, byteOrderMark: true, throwOnInvalidBytes: true);
            try
            {
                text = encoding.GetString(bytes[2..]);
            }
            catch (DecoderFallbackException)
            {
                diagnostics.Add(DiagnosticCatalog.InvalidEncoding.At(file.Path, SourcePosition.Start,
                    "the file starts with a UTF-16 byte order mark but is not valid UTF-16. Save it as UTF-8."));
                return null;
            }
        }
        else
        {
            if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
            {
                bytes = bytes[3..];
            }

            try
            {
                text = StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException ex)
            {
                var offset = ex.Index >= 0 ? ex.Index : FirstInvalidUtf8Offset(bytes);
                var valid = StrictUtf8.GetString(bytes[..Math.Max(0, Math.Min(offset, bytes.Length))]);
                diagnostics.Add(DiagnosticCatalog.InvalidEncoding.At(file.Path, PositionAtEnd(valid),
                    $"the file is not valid UTF-8 (byte 0x{bytes[Math.Min(offset, bytes.Length - 1)]:X2} at offset {offset}). Manifests must be UTF-8 text; save the file as UTF-8."));
                return null;
            }
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == '\u007F')
            {
                var what = c == '\0' ? "a NUL byte: this looks like a binary file, not YAML" : $"the control character U+{(int)c:X4}, which YAML does not allow";
                diagnostics.Add(DiagnosticCatalog.InvalidEncoding.At(file.Path, PositionAtEnd(text.AsSpan(0, i)), $"the file contains {what}."));
                return null;
            }
        }

        return text;
    }

    /// <summary>The position just after <paramref name="prefix"/>: where the next character of the file is.</summary>
    public static SourcePosition PositionAtEnd(ReadOnlySpan<char> prefix)
    {
        var line = 1;
        var column = 1;
        foreach (var c in prefix)
        {
            if (c == '\n')
            {
                line++;
                column = 1;
            }
            else if (c != '\r')
            {
                column++;
            }
        }

        return new SourcePosition(line, column);
    }

    private static int FirstInvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out var read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? bytes.Length : read;
    }

    private static string FormatSize(long bytes) =>
        bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024.0):0.#} MiB" : $"{bytes / 1024.0:0.#} KiB";
}
