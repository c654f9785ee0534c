using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// The one way PersonaOps writes and reads its JSON documents (plan files, <c>--output json</c>, the apply
/// report): readable (only what JSON requires is escaped, so quotes and accents stay as they are), deep
/// enough for any manifest validation accepts (64 levels, plus the plan's own wrapping), and inert on a
/// terminal: control, bidirectional and invisible format characters are written as <c>\uXXXX</c> escapes,
/// which JSON reads back as the same characters.
/// </summary>
public static class JsonText
{
    /// <summary>Nesting a plan document may reach: a manifest's 64 levels inside the plan's own.</summary>
    public const int MaxDepth = 256;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = MaxDepth };

    /// <summary>
    /// How a plan document is read back. A key twice in one object is refused: which of its values was
    /// fingerprinted, shown or sent would depend on the reader (and a JSON tree, which holds one, could not say).
    /// </summary>
    public static readonly JsonDocumentOptions Reading = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>An indented document whose text cannot move a terminal's cursor or hide characters.</summary>
    public static string Write(JsonNode node) =>
        // JSON's own syntax is ASCII, so the only such characters are inside strings, where an escape means the same.
        string.Join('\n', node.ToJsonString(Indented).Split('\n').Select(TextEscape.Control));
}
