using System.Buffers;
using System.Globalization;
using System.Text;

namespace PersonaOps.Cli;

/// <summary>
/// Defence in depth for secrets. PersonaOps's own messages never hold a secret; but some text it prints
/// comes from elsewhere, such as an API error that echoes a key back. Every line written to stdout and
/// stderr passes through a <see cref="RedactingWriter"/>, which replaces each secret value known here
/// (TAVUS_API_KEY, the variables the manifests' secret fields reference, secrets read from the account)
/// with "(sensitive value)".
/// <para>
/// A secret is found in the forms it takes in the text PersonaOps passes on: as written, inside a JSON
/// string (any character as a <c>\uXXXX</c> escape in either case, <c>\/</c>, <c>\"</c>, <c>\\</c>: what
/// System.Text.Json writes for <c>+</c>, <c>/</c> or non-ASCII), and percent-encoded (either case of hex,
/// UTF-8 sequences, <c>+</c> for a space). Hand-written rather than a library's: it must map every decoded
/// character back to the span of text it came from, so that the whole encoded form is masked. Linear in
/// the text: each of three views (as written; JSON and percent escapes decoded with <c>+</c> kept; the
/// same with <c>+</c> as a space) is decoded in one pass and searched with <see cref="SearchValues{T}"/>.
/// </para>
/// </summary>
public sealed class SecretRedactor
{
    /// <summary>Shorter values are not redacted: they would garble ordinary text and are no real secret.</summary>
    public const int MinimumLength = 6;

    private const string Mask = "(sensitive value)";

    private readonly Lock _gate = new();
    private Known _known = new([], SearchValues.Create([], StringComparison.Ordinal));

    /// <summary>The secrets, longest first (so a secret that contains another is masked whole), and their search.</summary>
    private sealed record Known(string[] Secrets, SearchValues<string> Search);

    public void Add(string? value)
    {
        if (value is null || value.Trim().Length < MinimumLength)
        {
            return;
        }

        lock (_gate)
        {
            if (!_known.Secrets.Contains(value, StringComparer.Ordinal))
            {
                string[] secrets = [.. _known.Secrets.Append(value).OrderByDescending(s => s.Length)];
                _known = new Known(secrets, SearchValues.Create(secrets, StringComparison.Ordinal));
            }
        }
    }

    public string Redact(string text)
    {
        var known = _known;
        if (known.Secrets.Length == 0 || text.Length < MinimumLength)
        {
            return text;
        }

        var spans = new List<(int Start, int End)>();
        Find(known, text, null, null, spans);
        if (text.AsSpan().IndexOfAny('\\', '%', '+') >= 0)
        {
            foreach (var plusIsSpace in (bool[])[false, true])
            {
                var (decoded, starts, ends) = Decode(text, plusIsSpace);
                Find(known, decoded, starts, ends, spans);
            }
        }

        if (spans.Count == 0)
        {
            return text;
        }

        spans.Sort();
        var result = new StringBuilder(text.Length);
        var at = 0;
        foreach (var (start, end) in spans)
        {
            if (end <= at)
            {
                continue; // inside a span already masked
            }

            if (start >= at)
            {
                result.Append(text, at, start - at).Append(Mask);
            }

            at = end;
        }

        return result.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Adds the span of the original text each secret in <paramref name="view"/> came from.</summary>
    private static void Find(Known known, string view, int[]? starts, int[]? ends, List<(int Start, int End)> spans)
    {
        var position = 0;
        while (position < view.Length)
        {
            var found = view.AsSpan(position).IndexOfAny(known.Search);
            if (found < 0)
            {
                return;
            }

            found += position;
            var length = known.Secrets.First(s => view.AsSpan(found).StartsWith(s, StringComparison.Ordinal)).Length;
            var last = found + length - 1;
            spans.Add(starts is null ? (found, found + length) : (starts[found], ends![last]));
            position = found + length;
        }
    }

    /// <summary>
    /// The text with JSON string escapes and percent-encoding decoded, and for each decoded character the
    /// span [start, end) of the text it came from. Anything that is not a complete escape stays as written.
    /// </summary>
    private static (string Decoded, int[] Starts, int[] Ends) Decode(string text, bool plusIsSpace)
    {
        var decoded = new StringBuilder(text.Length);
        var starts = new int[text.Length];
        var ends = new int[text.Length];
        Span<byte> bytes = stackalloc byte[4];
        Span<char> chars = stackalloc char[2];
        var i = 0;
        void Emit(char c, int start, int end)
        {
            starts[decoded.Length] = start;
            ends[decoded.Length] = end;
            decoded.Append(c);
        }

        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                var next = text[i + 1];
                if (next == 'u' && i + 5 < text.Length && ushort.TryParse(text.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                {
                    Emit((char)code, i, i + 6);
                    i += 6;
                    continue;
                }

                var simple = next switch
                {
                    '/' => '/',
                    '\\' => '\\',
                    '"' => '"',
                    'b' => '\b',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    _ => (char?)null,
                };
                if (simple is { } escaped)
                {
                    Emit(escaped, i, i + 2);
                    i += 2;
                    continue;
                }
            }
            else if (c == '%' && Byte(text, i) is { } lead)
            {
                // One byte, or a whole UTF-8 sequence of %XX escapes (%C3%A4 is one character).
                var count = lead < 0x80 ? 1 : lead is >= 0xC2 and <= 0xDF ? 2 : lead is >= 0xE0 and <= 0xEF ? 3 : lead is >= 0xF0 and <= 0xF4 ? 4 : 0;
                var complete = count > 0;
                bytes[0] = lead;
                for (var k = 1; k < count && complete; k++)
                {
                    complete = Byte(text, i + 3 * k) is { } b && b is >= 0x80 and <= 0xBF;
                    bytes[k] = complete ? Byte(text, i + 3 * k)!.Value : (byte)0;
                }

                if (complete && Rune.DecodeFromUtf8(bytes[..count], out var rune, out _) == OperationStatus.Done)
                {
                    var written = rune.EncodeToUtf16(chars);
                    for (var k = 0; k < written; k++)
                    {
                        Emit(chars[k], i, i + 3 * count);
                    }

                    i += 3 * count;
                    continue;
                }
            }
            else if (c == '+' && plusIsSpace)
            {
                Emit(' ', i, i + 1);
                i++;
                continue;
            }

            Emit(c, i, i + 1);
            i++;
        }

        return (decoded.ToString(), starts, ends);
    }

    /// <summary>The byte of the escape %XX at <paramref name="at"/>, if there is one.</summary>
    private static byte? Byte(string text, int at) =>
        at + 2 < text.Length && text[at] == '%' && byte.TryParse(text.AsSpan(at + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>
/// A writer that passes text on a line at a time, redacted, so that a secret split across two writes is
/// still seen whole. <see cref="Flush"/> passes on an unfinished line too (a prompt).
/// </summary>
internal sealed class RedactingWriter(TextWriter inner, SecretRedactor redactor) : TextWriter(inner.FormatProvider)
{
    private readonly StringBuilder _pending = new();

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        lock (_pending)
        {
            _pending.Append(value);
            if (value == '\n')
            {
                PassOn(_pending.Length);
            }
        }
    }

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        lock (_pending)
        {
            _pending.Append(value);
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                var text = _pending.ToString();
                PassOn(text.LastIndexOf('\n') + 1);
            }
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write(value + NewLine);

    public override void Flush()
    {
        lock (_pending)
        {
            PassOn(_pending.Length);
            inner.Flush();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
        }

        base.Dispose(disposing);
    }

    private void PassOn(int length)
    {
        if (length == 0)
        {
            return;
        }

        inner.Write(redactor.Redact(_pending.ToString(0, length)));
        _pending.Remove(0, length);
    }
}
