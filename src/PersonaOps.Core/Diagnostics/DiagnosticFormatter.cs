using System.Text;
using System.Text.Json;

namespace PersonaOps.Core.Diagnostics;

/// <summary>Renders diagnostics as text, JSON or GitHub workflow commands. Pure: returns strings.</summary>
public static class DiagnosticFormatter
{
    /// <summary><c>personas/a.yaml(12,5): error PO1003: message</c>, the MSBuild/Bicep form editors link.</summary>
    /// <remarks>The file name and message may quote user text: their control characters are shown escaped.</remarks>
    public static string FormatText(Diagnostic d) =>
        Rendering.TextEscape.Control($"{d.File}({d.Position.Line},{d.Position.Column}): {SeverityWord(d.Severity)} {d.Code}: {d.Message}");

    public static string FormatJson(IEnumerable<Diagnostic> diagnostics)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var d in diagnostics)
            {
                writer.WriteStartObject();
                writer.WriteString("file", d.File);
                writer.WriteNumber("line", d.Position.Line);
                writer.WriteNumber("column", d.Position.Column);
                writer.WriteString("severity", SeverityWord(d.Severity));
                writer.WriteString("code", d.Code);
                writer.WriteString("message", d.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// A GitHub Actions workflow command (<c>::error file=…,line=…,col=…,title=…::message</c>), escaped as
    /// the runner expects so that a message can neither end the command early nor inject another.
    /// </summary>
    public static string FormatGitHub(Diagnostic d) =>
        $"::{SeverityWord(d.Severity)} file={EscapeProperty(d.File)},line={d.Position.Line},col={d.Position.Column},title={EscapeProperty(d.Code)}::{EscapeData($"{d.Code}: {d.Message}")}";

    public static string SeverityWord(Severity severity) => severity == Severity.Error ? "error" : "warning";

    /// <summary>
    /// GitHub's escaping of command data: '%', CR and LF percent-encoded, so that the data can neither end
    /// the command early nor start another; controls are then shown escaped.
    /// </summary>
    private static string EscapeData(string value) => Rendering.TextEscape.Control(PercentEncode(value, property: false));

    /// <summary>GitHub's escaping of command properties: as data, and ':' and ',' too, so that a value cannot end its property or the command's head.</summary>
    private static string EscapeProperty(string value) => Rendering.TextEscape.Control(PercentEncode(value, property: true));

    private static string PercentEncode(string value, bool property)
    {
        var encoded = value.Replace("%", "%25", StringComparison.Ordinal)
            .Replace("\r", "%0D", StringComparison.Ordinal)
            .Replace("\n", "%0A", StringComparison.Ordinal);
        return property
            ? encoded.Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal)
            : encoded;
    }
}
