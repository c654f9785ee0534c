using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// Renders a plan as Terraform users read one: a block per persona (+ create, ~ update, - delete), a
/// line diff for multi-line strings (DiffPlex), "(sensitive value)" for secrets, and a closing count.
/// Pure: returns a string; colour is a choice of the caller.
/// </summary>
public static class PlanTextRenderer
{
    private const int ContextLines = 2;

    public static string Render(Plan plan, bool color = false, bool verbose = false)
    {
        var text = new StringBuilder();
        var style = color ? Style.Ansi : Style.Plain;
        var changing = plan.Personas.Where(p => p.Action != PlanAction.NoOp).ToArray();
        if (changing.Length == 0)
        {
            text.AppendLine($"No changes. The personas on {plan.Target} match the manifests.");
        }
        else
        {
            text.AppendLine($"PersonaOps will perform the following actions on {plan.Target}:");
            foreach (var persona in changing)
            {
                text.AppendLine();
                RenderPersona(text, persona, style);
            }
        }

        var noted = plan.Personas.Where(p => p.Notes.Count > 0 && (verbose || p.Action != PlanAction.NoOp || p.UncomparableSecrets.Count > 0)).ToArray();
        if (noted.Length > 0)
        {
            text.AppendLine();
        }

        foreach (var persona in noted)
        {
            foreach (var note in persona.Notes)
            {
                text.AppendLine($"  # {persona.Address}: {note}");
            }
        }

        text.AppendLine();
        text.AppendLine(style.Bold($"Plan: {plan.ToAdd} to add, {plan.ToChange} to change, {plan.ToDelete} to delete."));
        return text.ToString();
    }

    /// <summary>
    /// One persona's block for a <c>diff</c> code block: each line's change symbol moved to the first column
    /// (where diff highlighting looks for it), <c>~</c> shown as <c>!</c>, the rest as in the text plan.
    /// </summary>
    internal static IEnumerable<string> RenderPersonaForDiff(PersonaPlan persona)
    {
        var text = new StringBuilder();
        RenderPersona(text, persona, Style.Gutter);
        foreach (var line in text.ToString().Split('\n'))
        {
            var at = line.IndexOf(Style.GutterMark, StringComparison.Ordinal);
            if (at < 0 || at + 1 >= line.Length)
            {
                yield return " " + line;
                continue;
            }

            var symbol = line[at + 1] == '~' ? '!' : line[at + 1];
            yield return symbol + line[..at] + line[(at + 2)..];
        }
    }

    private static void RenderPersona(StringBuilder text, PersonaPlan persona, Style style)
    {
        var (verb, symbol) = persona.Action switch
        {
            PlanAction.Create => ("will be created", style.Add("+")),
            PlanAction.Update => ("will be updated in-place", style.Change("~")),
            _ => ("will be deleted", style.Remove("-")),
        };
        var id = persona.LiveId is null ? "" : $" [{persona.LiveId}]";
        text.AppendLine(style.Bold($"  # {persona.Address} ({persona.File}){id} {verb}"));
        text.AppendLine($"  {symbol} persona \"{persona.Name}\" {{");
        if (persona.Action == PlanAction.Delete)
        {
            text.AppendLine($"      {style.Remove("-")} persona_name = {Value(JsonValue.Create(persona.PersonaName))}");
        }

        var width = persona.Changes.Select(c => Label(c.Path, persona.Action).Length).DefaultIfEmpty(0).Max();
        foreach (var change in persona.Changes)
        {
            var label = Label(change.Path, persona.Action).PadRight(width);
            var before = change.Before;
            var after = change.After;
            if (IsMultiline(before) || IsMultiline(after))
            {
                var mark = before is null ? style.Add("+") : after is null ? style.Remove("-") : style.Change("~");
                text.AppendLine($"      {mark} {label} = <<-EOT");
                foreach (var line in LineDiff(Text(before), Text(after), style))
                {
                    text.AppendLine("          " + line);
                }

                text.AppendLine("        EOT");
            }
            else if (before is null)
            {
                text.AppendLine($"      {style.Add("+")} {label} = {Value(after)}");
            }
            else if (after is null)
            {
                text.AppendLine($"      {style.Remove("-")} {label} = {Value(before)} -> null");
            }
            else
            {
                text.AppendLine($"      {style.Change("~")} {label} = {Value(before)} -> {Value(after)}");
            }
        }

        text.AppendLine("    }");
    }

    private static string Label(string pointer, PlanAction action) =>
        action == PlanAction.Create ? Validation.FieldPath.Display(pointer) : Validation.FieldPath.Display(pointer);

    private static bool IsMultiline(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Contains('\n', StringComparison.Ordinal);

    private static string Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString() ?? "";

    /// <summary>A unified line diff with two lines of context; long unchanged runs are folded.</summary>
    private static IEnumerable<string> LineDiff(string before, string after, Style style)
    {
        var diff = InlineDiffBuilder.Diff(before.TrimEnd('\n'), after.TrimEnd('\n'), ignoreWhiteSpace: false);
        var lines = diff.Lines;
        var keep = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Type != ChangeType.Unchanged)
            {
                for (var j = Math.Max(0, i - ContextLines); j <= Math.Min(lines.Count - 1, i + ContextLines); j++)
                {
                    keep[j] = true;
                }
            }
        }

        var hidden = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            if (!keep[i])
            {
                hidden++;
                continue;
            }

            if (hidden > 0)
            {
                yield return $"  # ({hidden} unchanged line{(hidden == 1 ? "" : "s")} hidden)";
                hidden = 0;
            }

            var line = lines[i];
            yield return line.Type switch
            {
                ChangeType.Inserted => style.Add("+ " + style.Clean(line.Text)),
                ChangeType.Deleted => style.Remove("- " + style.Clean(line.Text)),
                _ => "  " + style.Clean(line.Text),
            };
        }

        if (hidden > 0)
        {
            yield return $"  # ({hidden} unchanged line{(hidden == 1 ? "" : "s")} hidden)";
        }
    }

    private static string Value(JsonNode? node)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == Secrets.Sensitive)
        {
            return Secrets.Sensitive;
        }

        var json = node?.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null";
        return json.Length > 200 ? json[..200] + "…" : json;
    }

    /// <summary>
    /// How change symbols are marked: plain, ANSI colours, or with <see cref="GutterMark"/> before them so the
    /// Markdown renderer can move each to the first column without parsing user text.
    /// </summary>
    private sealed class Style
    {
        public const string GutterMark = "\u0001";

        public static readonly Style Plain = new(0);
        public static readonly Style Ansi = new(1);
        public static readonly Style Gutter = new(2);

        private readonly int _mode;

        private Style(int mode) => _mode = mode;

        public string Add(string text) => Paint(text, "32");

        public string Remove(string text) => Paint(text, "31");

        public string Change(string text) => Paint(text, "33");

        public string Bold(string text) => _mode == 1 ? $"\u001b[1m{text}\u001b[0m" : text;

        /// <summary>User text with any character that would pass for the gutter mark replaced.</summary>
        public string Clean(string text) => _mode == 2 ? text.Replace(GutterMark, "\uFFFD", StringComparison.Ordinal) : text;

        private string Paint(string text, string code) => _mode switch
        {
            1 => $"\u001b[{code}m{text}\u001b[0m",
            2 => GutterMark + text,
            _ => text,
        };
    }
}
