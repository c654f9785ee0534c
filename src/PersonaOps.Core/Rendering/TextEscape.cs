using System.Globalization;
using System.Text;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// Makes user text (prompts, names, file names, notes, server messages) inert on a terminal: every control
/// character that could move the cursor, erase lines or reorder what is shown (C0 and C1 controls such as
/// ESC and CSI, DEL, carriage return, and the Unicode bidirectional overrides) is written as a visible
/// <c>\u001b</c>-style escape, and so is every invisible format character (a zero-width space, say). Tab is
/// kept; line feeds are escaped too, so callers split multi-line text first. Nor can the text become a
/// GitHub Actions workflow command: see <see cref="WorkflowCommands"/>.
/// </summary>
public static class TextEscape
{
    public static string Control(string text) => WorkflowCommands(Controls(text));

    /// <summary>
    /// The runner of GitHub Actions reads a log line as a command when, after leading whitespace, it starts
    /// with <c>::</c> (<c>::stop-commands::</c>, <c>::add-mask::</c>), and when it holds the legacy
    /// <c>##[</c> anywhere (<c>##[set-output name=x;]</c>). Text that starts so has its first ':' written as
    /// <c>\u003a</c>, and every <c>##[</c> is written <c>##\u005b</c>: still readable, and read back by JSON as
    /// it was. Escaping the start of each piece is enough because every piece that may start a line passes
    /// here, and lines are laid out from pieces that begin with indentation or a mark.
    /// </summary>
    private static string WorkflowCommands(string text)
    {
        var first = 0;
        while (first < text.Length && char.IsWhiteSpace(text[first]))
        {
            first++;
        }

        var leading = text.AsSpan(first).StartsWith("::", StringComparison.Ordinal);
        var legacy = text.Contains("##[", StringComparison.Ordinal);
        if (!leading && !legacy)
        {
            return text;
        }

        var inert = new StringBuilder(text.Length + 8);
        if (leading)
        {
            inert.Append(text, 0, first).Append("\\u003a").Append(text, first + 1, text.Length - first - 1);
        }
        else
        {
            inert.Append(text);
        }

        return legacy ? inert.Replace("##[", "##\\u005b").ToString() : inert.ToString();
    }

    private static string Controls(string text)
    {
        var at = 0;
        while (at < text.Length && !IsControlAt(text, at))
        {
            at++;
        }

        if (at == text.Length)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8).Append(text, 0, at);
        for (; at < text.Length; at++)
        {
            var c = text[at];
            if (IsControlAt(text, at))
            {
                Escape(escaped, c);
                if (char.IsHighSurrogate(c) && at + 1 < text.Length && char.IsLowSurrogate(text[at + 1]))
                {
                    Escape(escaped, text[++at]);
                }
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    /// <summary>
    /// The character at <paramref name="at"/>, or the code point it starts, is a control or invisible: a BMP
    /// control (<see cref="IsControl"/>), a line or paragraph separator, a variation selector that does not
    /// follow a visible character, an unpaired surrogate, or an invisible code point beyond the BMP: the tag
    /// characters (U+E0000..U+E007F, with which text for a model is smuggled past a reader), the variation
    /// selectors supplement and the other format characters there.
    /// </summary>
    private static bool IsControlAt(string text, int at)
    {
        var c = text[at];
        if (IsControl(c) || c is '\u2028' or '\u2029')
        {
            return true;
        }

        if (c is >= '\ufe00' and <= '\ufe0f')
        {
            // Emoji and text presentation (U+FE0E, U+FE0F) after a symbol is how emoji are written; any other
            // selector, or one after ASCII or after another selector, carries nothing a reader can see.
            return c < '\ufe0e' || at == 0 || text[at - 1] < '\u0080' || text[at - 1] is >= '\ufe00' and <= '\ufe0f';
        }

        if (char.IsLowSurrogate(c))
        {
            return at == 0 || !char.IsHighSurrogate(text[at - 1]);
        }

        if (!char.IsHighSurrogate(c))
        {
            return false;
        }

        if (at + 1 >= text.Length || !char.IsLowSurrogate(text[at + 1]))
        {
            return true;
        }

        var code = char.ConvertToUtf32(c, text[at + 1]);
        return code is >= 0xE0000 and <= 0xE0FFF
            || code is >= 0x1D173 and <= 0x1D17A
            || code is >= 0x13430 and <= 0x1343F
            || code is >= 0x1BCA0 and <= 0x1BCA3;
    }

    /// <summary>
    /// Changed text made impossible to misread: besides <see cref="Control"/>, every whitespace character
    /// other than the space (a tab, a no-break or em space) is escaped, and so are the spaces that end a
    /// line, so that two changed lines or words never look the same when they differ.
    /// </summary>
    public static string Changed(string text, bool endsLine = false)
    {
        var escaped = MixedScripts(Control(text));
        var end = escaped.Length;
        while (endsLine && end > 0 && escaped[end - 1] == ' ')
        {
            end--;
        }

        if (end == escaped.Length && !escaped.Any(c => c != ' ' && char.IsWhiteSpace(c)))
        {
            return escaped;
        }

        var visible = new StringBuilder(escaped.Length + 8);
        for (var at = 0; at < escaped.Length; at++)
        {
            var c = escaped[at];
            if ((c != ' ' && char.IsWhiteSpace(c)) || at >= end)
            {
                Escape(visible, c);
            }
            else
            {
                visible.Append(c);
            }
        }

        return visible.ToString();
    }

    /// <summary>
    /// In a word that mixes ASCII letters with letters of another script (a Cyrillic а among Latin ones:
    /// "PаyPal"), the other letters are escaped: such a word is how a look-alike passes for the word it
    /// imitates. So is a combining mark after a Latin letter (e + U+0301 for é), which draws the same as the
    /// composed letter. Words wholly in one script, accented Latin ones included, are left as they are.
    /// </summary>
    private static string MixedScripts(string text)
    {
        StringBuilder? result = null;
        var start = 0;
        for (var at = 0; at <= text.Length; at++)
        {
            if (at < text.Length && (char.IsLetterOrDigit(text[at]) || IsMark(text[at])))
            {
                continue;
            }

            var word = text.AsSpan(start, at - start);
            var mixed = word.ContainsAny(AsciiLetters) && word.IndexOfAnyExceptInRange('\0', '\u007f') >= 0;
            if (mixed && Suspect(word) is var suspect && suspect.Count > 0)
            {
                result ??= new StringBuilder(text.Length + 16).Append(text, 0, start);
                for (var i = 0; i < word.Length; i++)
                {
                    _ = suspect.Contains(i)
                        ? Escape(result, word[i])
                        : result.Append(word[i]);
                }
            }
            else
            {
                result?.Append(word);
            }

            if (at < text.Length)
            {
                result?.Append(text[at]);
            }

            start = at + 1;
        }

        return result?.ToString() ?? text;
    }

    /// <summary>The positions in a word with ASCII letters of the letters outside the Latin script and of combining marks after Latin letters.</summary>
    private static HashSet<int> Suspect(ReadOnlySpan<char> word)
    {
        var suspect = new HashSet<int>();
        for (var i = 0; i < word.Length; i++)
        {
            var c = word[i];
            if ((char.IsLetter(c) && !IsLatin(c)) || (IsMark(c) && i > 0 && (IsLatin(word[i - 1]) || suspect.Contains(i - 1))))
            {
                suspect.Add(i);
            }
        }

        return suspect;
    }

    private static bool IsMark(char c) => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark;

    /// <summary>Basic Latin, Latin-1, Latin Extended-A and -B, IPA, Latin Extended Additional, -C and -D.</summary>
    private static bool IsLatin(char c) =>
        c < '\u0250' || c is >= '\u1e00' and <= '\u1eff' || c is >= '\u2c60' and <= '\u2c7f' || c is >= '\ua720' and <= '\ua7ff';

    private static readonly System.Buffers.SearchValues<char> AsciiLetters = System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static bool IsControl(char c) =>
        (c < 0x20 && c != '\t')
        || c is >= '\u007f' and <= '\u009f'
        || c is >= '\u202a' and <= '\u202e'
        || c is >= '\u2066' and <= '\u2069'
        || c is '\u200e' or '\u200f' or '\u061c'

        // Invisible format characters: a zero-width space, joiner or non-joiner, word joiner, invisible
        // operators, byte order mark, soft hyphen, Mongolian vowel separator; text differing only by them
        // would read the same.
        || c is >= '\u200b' and <= '\u200d'
        || c is >= '\u2060' and <= '\u2064'
        || c is '\ufeff' or '\u00ad' or '\u180e';

    /// <summary>A UTF-16 unit as <c>\uXXXX</c>: how text shows it, and how JSON reads it back.</summary>
    private static StringBuilder Escape(StringBuilder text, char c) =>
        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
}
