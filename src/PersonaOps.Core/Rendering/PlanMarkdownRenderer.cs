using System.Net;
using System.Text;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// Renders a plan as a pull-request comment (cli.md): the hidden marker on the first line, the summary
/// and counts outside any <c>&lt;details&gt;</c>, then one collapsed <c>diff</c> block per persona.
/// User text (prompts, names, file names, notes) can neither close a block nor forge the marker:
/// text in HTML is entity-escaped; text in a code block sits inside a fence longer than any backtick run
/// it contains, and any comment opener in it is broken with a zero-width space. The whole comment stays
/// under GitHub's 65,536-character limit; what is cut is said, with where to find the full plan.
/// </summary>
public static class PlanMarkdownRenderer
{
    /// <summary>GitHub's limit for an issue or pull-request comment body.</summary>
    public const int GitHubCommentLimit = 65_536;

    /// <summary>The marker's opening; a workflow finds its comment by this text on the first line.</summary>
    public const string MarkerPrefix = "<!-- personaops:plan ";

    /// <summary>What each block and the closing lines are kept under, leaving room for the cut notice.</summary>
    private const int Reserve = 2_000;

    public static string Marker(Plan plan) => Marker(PlanDocument.Fingerprint(plan));

    private static string Marker(string fingerprint) => $"{MarkerPrefix}{fingerprint.Replace("sha256:", "sha256=", StringComparison.Ordinal)} -->";

    public static string Render(Plan plan, int limit = GitHubCommentLimit)
    {
        var head = new StringBuilder();
        var fingerprint = PlanDocument.Fingerprint(plan);
        head.Append(Marker(fingerprint)).Append('\n');
        var changing = plan.Personas.Where(p => p.Action != PlanAction.NoOp).ToArray();
        if (changing.Length == 0)
        {
            head.Append("### PersonaOps plan: no changes\n\n");
            head.Append($"The personas on {Code(plan.Target)} match the manifests ({Count(plan.Personas.Count, "persona")}).\n");
        }
        else
        {
            head.Append($"### PersonaOps plan: {plan.ToAdd} to add, {plan.ToChange} to change, {plan.ToDelete} to delete\n\n");
            head.Append($"Target {Code(plan.Target)}; {Count(plan.Personas.Count - changing.Length, "persona")} unchanged.\n\n");
            head.Append("| | Persona | Manifest | Fields |\n|---|---|---|---|\n");
            foreach (var persona in changing)
            {
                head.Append($"| {Symbol(persona.Action)} | {Code(persona.Address)} | {Code(persona.File)} | {FieldCount(persona)} |\n");
            }
        }

        var notes = NotesBlock(plan);
        var footer = "\n<sub>Plan fingerprint " + Code(fingerprint) + ". Rendered by <code>personaops plan --output markdown</code>.</sub>\n";
        var budget = limit - head.Length - footer.Length - Reserve;
        var body = new StringBuilder();
        var shown = 0;
        foreach (var persona in changing)
        {
            var block = PersonaBlock(persona, Math.Min(budget - body.Length - notes.Length, limit / 2));
            if (block is null)
            {
                break;
            }

            body.Append(block);
            shown++;
        }

        var output = new StringBuilder().Append(head).Append(body);
        if (shown < changing.Length)
        {
            output.Append($"\n> [!NOTE]\n> {changing.Length - shown} more of {changing.Length} changed personas are not shown: the comment would pass GitHub's {GitHubCommentLimit:N0}-character limit. " +
                "The saved plan holds them all; render it with `personaops show plan.json`.\n");
        }

        if (notes.Length <= limit - output.Length - footer.Length)
        {
            output.Append(notes);
        }

        output.Append(footer);
        return output.ToString();
    }

    private static string? PersonaBlock(PersonaPlan persona, int budget)
    {
        var id = persona.LiveId is null ? "" : $" <code>{Html(persona.LiveId)}</code>";
        var verb = persona.Action switch
        {
            PlanAction.Create => "will be created",
            PlanAction.Update => "will be updated in place",
            _ => "will be deleted",
        };
        var open = $"\n<details><summary>{Symbol(persona.Action)} <code>{Html(persona.Address)}</code>{id} {verb}</summary>\n\n";
        const string close = "\n</details>\n";
        var lines = PlanTextRenderer.RenderPersonaForDiff(persona).Select(Neutralise).ToList();
        var fence = Fence(lines);
        var frame = open.Length + (fence.Length * 2) + "diff\n\n\n".Length + close.Length;
        if (frame + 200 > budget)
        {
            return null;
        }

        var kept = new List<string>();
        var used = frame;
        foreach (var line in lines)
        {
            if (used + line.Length + 1 > budget - 120)
            {
                kept.Add($"# ({lines.Count - kept.Count} more lines cut to fit the comment; see the saved plan)");
                break;
            }

            kept.Add(line);
            used += line.Length + 1;
        }

        return $"{open}{fence}diff\n{string.Join('\n', kept).TrimEnd()}\n{fence}\n{close}";
    }

    private static string NotesBlock(Plan plan)
    {
        var notes = plan.Personas.SelectMany(p => p.Notes.Select(n => (p.Address, Note: n))).ToArray();
        if (notes.Length == 0)
        {
            return "";
        }

        var text = new StringBuilder($"\n<details><summary>Notes ({notes.Length})</summary>\n\n");
        foreach (var (address, note) in notes)
        {
            text.Append($"- <code>{Html(address)}</code>: {Html(note)}\n");
        }

        return text.Append("\n</details>\n").ToString();
    }

    /// <summary>A backtick fence longer than any run of backticks in the block (CommonMark: it cannot close early).</summary>
    private static string Fence(IEnumerable<string> lines)
    {
        var longest = 0;
        foreach (var line in lines)
        {
            var run = 0;
            foreach (var c in line)
            {
                run = c == '`' ? run + 1 : 0;
                longest = Math.Max(longest, run);
            }
        }

        return new string('`', Math.Max(3, longest + 1));
    }

    /// <summary>Breaks an HTML comment opener so that text in a block can never pass for the marker.</summary>
    private static string Neutralise(string line) => line.Replace("<!--", "<!\u200B--", StringComparison.Ordinal);

    /// <summary>Inline code that shows any text literally: HTML, entity-escaped, so backticks and pipes are inert too.</summary>
    private static string Code(string text) => $"<code>{Html(text).Replace("|", "&#124;", StringComparison.Ordinal)}</code>";

    private static string Html(string text) => WebUtility.HtmlEncode(text.ReplaceLineEndings(" ")).Replace("`", "&#96;", StringComparison.Ordinal);

    private static string Symbol(PlanAction action) => action switch
    {
        PlanAction.Create => "➕",
        PlanAction.Update => "✏️",
        PlanAction.Delete => "🗑️",
        _ => "",
    };

    private static string FieldCount(PersonaPlan persona) => persona.Action == PlanAction.Delete ? "all" : persona.Changes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
