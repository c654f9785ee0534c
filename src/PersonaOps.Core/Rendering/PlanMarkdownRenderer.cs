using System.Globalization;
using System.Net;
using System.Text;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Rendering;

/// <summary>Where a comment was computed: the commit and the CI run, when the caller knows them.</summary>
public sealed record MarkdownContext(string? Commit = null, string? RunUrl = null)
{
    public static readonly MarkdownContext None = new();
}

/// <summary>
/// Renders a plan as a pull-request comment (cli.md): the hidden marker on the first line; above the fold
/// the summary, the commit and run it was computed for, a warning naming every deletion, and a summary
/// table; then one collapsed <c>diff</c> block per persona, laid out from its <see cref="ChangeView"/>.
/// User text (prompts, names, file names, notes) can neither close a block nor forge the marker: text in
/// HTML is entity-escaped; text in a code block sits inside a fence longer than any backtick run it
/// contains, and any comment opener in it is broken with a zero-width space. Every part is budgeted, the
/// table and the deletion list included, so the comment stays under GitHub's 65,536-character limit for any
/// plan; what is left out is said, with where to find the full plan.
/// </summary>
public static class PlanMarkdownRenderer
{
    /// <summary>GitHub's limit for an issue or pull-request comment body.</summary>
    public const int GitHubCommentLimit = 65_536;

    /// <summary>The marker's opening; a workflow finds its comment by this text on the first line.</summary>
    public const string MarkerPrefix = "<!-- personaops:plan ";

    /// <summary>What each block and the closing lines are kept under, leaving room for the cut notice.</summary>
    private const int Reserve = 2_000;

    /// <summary>Rows of the summary table (and names in the deletion warning) shown before the rest is summarised.</summary>
    private const int TableRows = 50;

    public static string Marker(Plan plan) => Marker(PlanDocument.Fingerprint(plan), plan.Environment);

    /// <summary>The marker: the plan's fingerprint and, for a plan of an environment, its name (a comment per environment).</summary>
    private static string Marker(string fingerprint, string? environment) =>
        $"{MarkerPrefix}{fingerprint.Replace("sha256:", "sha256=", StringComparison.Ordinal)}{(environment is null ? "" : " environment=" + TextEscape.Control(environment).Replace("-->", "", StringComparison.Ordinal))} -->";

    public static string Render(Plan plan, int limit = GitHubCommentLimit, ChangeVoice voice = ChangeVoice.Plan, MarkdownContext? context = null, Kinds.KindRegistry? kinds = null)
    {
        context ??= MarkdownContext.None;
        var head = new StringBuilder();
        var fingerprint = PlanDocument.Fingerprint(plan);
        head.Append(Marker(fingerprint, plan.Environment)).Append('\n');
        if (plan.Environment is not null)
        {
            head.Append($"Environment {Code(plan.Environment)}.\n");
        }

        var changing = plan.Personas.Where(p => p.Action != PlanAction.NoOp).ToArray();
        if (changing.Length == 0)
        {
            head.Append(voice == ChangeVoice.Plan ? "### PersonaOps plan: no changes\n\n" : "### PersonaOps drift: none\n\n");
            head.Append($"The personas on {Code(plan.Target)} match the manifests ({Count(plan.Personas.Count, "persona")}).\n");
            head.Append(Provenance(context));
            head.Append(ThreeWaySections(plan));
        }
        else
        {
            head.Append(voice == ChangeVoice.Plan
                ? $"### PersonaOps plan: {plan.ToAdd} to add, {plan.ToChange} to change, {plan.ToDelete} to delete\n\n"
                : $"### PersonaOps drift: {Count(changing.Length, "persona")} {(changing.Length == 1 ? "differs" : "differ")} from Git\n\n");
            if (voice == ChangeVoice.Drift)
            {
                head.Append("These personas were changed outside PersonaOps, or their manifests were not applied yet; `personaops apply` would set them back to what Git holds.\n\n");
            }

            head.Append($"Target {Code(plan.Target)}; {Count(plan.Personas.Count - changing.Length, "persona")} unchanged.\n");
            head.Append(Provenance(context));
            head.Append(ThreeWaySections(plan));
            head.Append(DeletionWarning(changing, voice));
            head.Append(Table(changing, voice));
        }

        var notes = NotesBlock(plan, limit / 8);
        var footer = "\n<sub>Plan fingerprint " + Code(fingerprint) + ". Rendered by <code>personaops " + (voice == ChangeVoice.Plan ? "plan" : "drift") + " --output markdown</code>.</sub>\n";
        var budget = limit - head.Length - footer.Length - Reserve;
        var body = new StringBuilder();
        var shown = 0;
        var omitted = new List<string>();
        foreach (var persona in changing)
        {
            // A block that cannot fit (one huge fence, say) does not stop the smaller blocks after it.
            var block = PersonaBlock(persona, voice, kinds, Math.Min(budget - body.Length - notes.Length, limit / 2));
            if (block is null)
            {
                omitted.Add(persona.Address);
                continue;
            }

            body.Append(block);
            shown++;
        }

        var output = new StringBuilder().Append(head).Append(body);
        if (shown < changing.Length)
        {
            // The names fit in what is reserved for this notice: the first ones, then a count.
            var named = new List<string>();
            foreach (var name in omitted.Select(Code))
            {
                if (named.Sum(n => n.Length + 2) + name.Length > Reserve / 2)
                {
                    break;
                }

                named.Add(name);
            }

            var names = string.Join(", ", named) + (omitted.Count > named.Count ? $", and {omitted.Count - named.Count} more" : "");
            output.Append($"\n> [!NOTE]\n> {changing.Length - shown} more of {changing.Length} changed personas are not shown: the comment would pass GitHub's {GitHubCommentLimit.ToString("N0", CultureInfo.InvariantCulture)}-character limit. " +
                $"Not shown: {names}. The saved plan holds them all; render it with `personaops show plan.json`.\n");
        }

        if (notes.Length <= limit - output.Length - footer.Length)
        {
            output.Append(notes);
        }

        output.Append(footer);
        return output.ToString();
    }

    /// <summary>The commit and the CI run the comment was computed for, when known.</summary>
    private static string Provenance(MarkdownContext context)
    {
        var commit = context.Commit is { Length: > 0 } sha ? $"commit {Code(sha.Length > 12 && sha.All(char.IsAsciiHexDigit) ? sha[..12] : sha)}" : null;
        var run = context.RunUrl is { Length: > 0 } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            ? $"<a href=\"{WebUtility.HtmlEncode(uri.AbsoluteUri)}\">this run</a>"
            : null;
        return (commit, run) switch
        {
            (null, null) => "",
            (_, null) => $"\nComputed for {commit}.\n",
            (null, _) => $"\nComputed in {run}.\n",
            _ => $"\nComputed for {commit} in {run}.\n",
        };
    }

    /// <summary>
    /// A three-way plan's conflicts, outside changes and manifests no longer managed, above the fold: a
    /// reviewer must see that apply would overwrite someone's dashboard edit before expanding anything. Each
    /// list is capped at <see cref="TableRows"/> personas, the rest counted.
    /// </summary>
    private static string ThreeWaySections(Plan plan)
    {
        if (plan.Base is null)
        {
            return "";
        }

        var based = Code(ThreeWayView.Base(plan));
        var text = new StringBuilder($"\nThree-way plan against the base {based}: this change, edits made outside PersonaOps since then, and conflicts.\n");
        text.Append(List(ThreeWayView.Conflicts(plan), "CAUTION",
            $"**Conflicts**: these fields were changed by this pull request and also outside PersonaOps since {based}, to another value. `personaops apply` refuses this plan unless `--overwrite-outside-changes` is given, which keeps Git's value:"));
        text.Append(List(ThreeWayView.OutsideChanges(plan), "WARNING",
            $"**Outside changes**: these fields were edited outside PersonaOps (in the dashboard, say) since {based}, and this pull request leaves them alone. Applying reverts them to what Git holds; to keep them, adopt them with `personaops drift --adopt`:"));
        text.Append(List(ThreeWayView.Unmanaged(plan), "NOTE",
            $"**No longer managed**: these manifests were in {based} and are gone from Git. Nothing is deleted; to delete a persona, keep its manifest with `metadata.ensure: absent`:"));
        return text.ToString();
    }

    private static string List(IReadOnlyList<ThreeWayView.Entry> entries, string kind, string heading)
    {
        if (entries.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder($"\n> [!{kind}]\n> {heading}\n");
        foreach (var entry in entries.Take(TableRows))
        {
            var id = entry.LiveId is null ? "" : $" ({Code(entry.LiveId)})";
            // The summary names at most ten fields, each at most 120 characters: the block below shows them whole.
            var fields = entry.Fields.Take(10).Select(f => Code(f.Length > 120 ? f[..(char.IsHighSurrogate(f[119]) ? 119 : 120)] + "…" : f));
            var more = entry.Fields.Count > 10 ? $", and {entry.Fields.Count - 10} more" : "";
            text.Append($"> - {Code(entry.Address)}{id}{(entry.Fields.Count == 0 ? "" : ": " + string.Join(", ", fields) + more)}\n");
        }

        if (entries.Count > TableRows)
        {
            text.Append($"> - and {entries.Count - TableRows} more personas; the saved plan lists them all.\n");
        }

        return text.ToString();
    }

    /// <summary>Every persona the plan deletes, above the fold: a deletion must not hide in a collapsed block.</summary>
    private static string DeletionWarning(PersonaPlan[] changing, ChangeVoice voice)
    {
        var deletes = changing.Where(p => p.Action == PlanAction.Delete).ToArray();
        if (deletes.Length == 0)
        {
            return "";
        }

        var names = deletes.Take(TableRows).Select(p => Code(p.Address) + (p.LiveId is null ? "" : $" ({Code(p.LiveId)})"));
        var more = deletes.Length > TableRows ? $", and {deletes.Length - TableRows} more" : "";
        var verb = voice == ChangeVoice.Plan ? "This plan deletes" : "Git says these should not exist; apply would delete";
        return $"\n> [!WARNING]\n> {verb} {Count(deletes.Length, "persona")}, with every field listed below: {string.Join(", ", names)}{more}.\n";
    }

    /// <summary>The summary table, at most <see cref="TableRows"/> rows; the rest are counted by action.</summary>
    private static string Table(PersonaPlan[] changing, ChangeVoice voice)
    {
        var table = new StringBuilder("\n| | Persona | Manifest | Fields |\n|---|---|---|---|\n");
        foreach (var persona in changing.Take(TableRows))
        {
            table.Append($"| {Symbol(persona.Action)} | {Code(persona.Address)} | {Code(persona.File)} | {FieldCount(persona, voice)} |\n");
        }

        if (changing.Length > TableRows)
        {
            var rest = changing.Skip(TableRows).ToArray();
            var counts = string.Join(", ", new[]
            {
                (PlanAction.Create, voice == ChangeVoice.Plan ? "to add" : "missing live"),
                (PlanAction.Update, voice == ChangeVoice.Plan ? "to change" : "differing"),
                (PlanAction.Delete, voice == ChangeVoice.Plan ? "to delete" : "to be deleted"),
            }.Select(a => (Count: rest.Count(p => p.Action == a.Item1), Label: a.Item2)).Where(a => a.Count > 0).Select(a => $"{a.Count} {a.Label}"));
            table.Append($"| | {rest.Length} more personas | | {counts} |\n");
            table.Append($"\nThe table shows the first {TableRows} of {changing.Length} changed personas; the saved plan lists them all.\n");
        }

        return table.ToString();
    }

    private static string? PersonaBlock(PersonaPlan persona, ChangeVoice voice, Kinds.KindRegistry? kinds, int budget)
    {
        var id = persona.LiveId is null ? "" : $" <code>{Html(persona.LiveId)}</code>";
        var verb = (voice, persona.Action) switch
        {
            (ChangeVoice.Plan, PlanAction.Create) => "will be created",
            (ChangeVoice.Plan, PlanAction.Update) => "will be updated in place",
            (ChangeVoice.Plan, _) => "will be deleted",
            (_, PlanAction.Create) => "is in Git but does not exist live",
            (_, PlanAction.Update) => "differs from Git",
            _ => "exists live, but its manifest says ensure: absent",
        };
        var open = $"\n<details><summary>{Symbol(persona.Action)} <code>{Html(persona.Address)}</code>{id} {verb}</summary>\n\n";
        const string close = "\n</details>\n";

        // Once the comment is full, every later block is left out: know it before computing the block's change
        // view (a plan of thousands of personas would compute one for each, for nothing). The shortest fence is 3.
        if (open.Length + ("```".Length * 2) + "diff\n\n\n".Length + close.Length + 200 > budget)
        {
            return null;
        }

        var lines = ChangeView.Persona(persona, voice, kinds).Select(DiffLine).ToList();
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

    /// <summary>A view line for a <c>diff</c> block: the mark in the first column (<c>~</c> as <c>!</c>), then the line.</summary>
    private static string DiffLine(ViewLine line)
    {
        var mark = line.Mark switch
        {
            LineMark.Add => '+',
            LineMark.Remove => '-',
            LineMark.Change => '!',
            _ => ' ',
        };
        var text = new string(' ', line.Indent) + " " + line.Text;
        return Neutralise(mark + (line.Text.Length == 0 ? text.TrimEnd() : text));
    }

    /// <summary>The plan's notes, collapsed, within <paramref name="budget"/> characters; the rest are counted.</summary>
    private static string NotesBlock(Plan plan, int budget)
    {
        var notes = plan.Personas.SelectMany(p => p.Notes.Select(n => (p.Address, Note: n))).ToArray();
        if (notes.Length == 0)
        {
            return "";
        }

        var text = new StringBuilder($"\n<details><summary>Notes ({notes.Length})</summary>\n\n");
        var shown = 0;
        foreach (var (address, note) in notes)
        {
            // In code, like every other text of the comment that may hold the server's words (a live field's
            // name): GitHub links no @mention or #reference there, entity-escaped or not.
            var line = $"- <code>{Html(address)}</code>: {Code(note)}\n";
            if (text.Length + line.Length > budget - 200)
            {
                break;
            }

            text.Append(line);
            shown++;
        }

        if (shown < notes.Length)
        {
            text.Append($"- and {notes.Length - shown} more; `personaops show plan.json` lists them all.\n");
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
    private static string Code(string text) => $"<code>{Html(text)}</code>";

    /// <summary>
    /// User text as literal HTML text. Markdown is still parsed between inline tags such as <c>&lt;code&gt;</c>,
    /// so besides HTML's own characters every character that could start Markdown syntax outside a code block
    /// (a link or image, emphasis, strikethrough, a backslash escape, a mention, a table cell's end) is an entity.
    /// </summary>
    private static string Html(string text)
    {
        var encoded = WebUtility.HtmlEncode(TextEscape.Control(text.ReplaceLineEndings(" ")));
        var literal = new StringBuilder(encoded.Length + 16);
        foreach (var c in encoded)
        {
            _ = c is '`' or '[' or ']' or '(' or ')' or '!' or '*' or '_' or '~' or '\\' or '@' or '|'
                ? literal.Append("&#").Append(((int)c).ToString(CultureInfo.InvariantCulture)).Append(';')
                : literal.Append(c);
        }

        return literal.ToString();
    }

    private static string Symbol(PlanAction action) => action switch
    {
        PlanAction.Create => "➕",
        PlanAction.Update => "✏️",
        PlanAction.Delete => "🗑️",
        _ => "",
    };

    private static string FieldCount(PersonaPlan persona, ChangeVoice voice) =>
        persona.Action == PlanAction.Delete ? "all"
        : voice == ChangeVoice.Drift && persona.Action == PlanAction.Create ? "missing"
        : persona.Changes.Count.ToString(CultureInfo.InvariantCulture);

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
