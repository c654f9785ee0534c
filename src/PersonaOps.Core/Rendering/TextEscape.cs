using System.Globalization;
using System.Text;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// Makes user text (prompts, names, file names, notes, server messages) inert on a terminal: every control
/// character that could move the cursor, erase lines or reorder what is shown (C0 and C1 controls such as
/// ESC and CSI, DEL, carriage return, and the Unicode bidirectional overrides) is written as a visible
/// <c>\u001b</c>-style escape. Tab is kept; line feeds are escaped too, so callers split multi-line text first.
/// </summary>
public static class TextEscape
{
    public static string Control(string text)
    {
        var at = 0;
        while (at < text.Length && !IsControl(text[at]))
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
            if (IsControl(c))
            {
                escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static bool IsControl(char c) =>
        (c < 0x20 && c != '\t')
        || c is >= '\u007f' and <= '\u009f'
        || c is >= '\u202a' and <= '\u202e'
        || c is >= '\u2066' and <= '\u2069'
        || c is '\u200e' or '\u200f' or '\u061c';
}
