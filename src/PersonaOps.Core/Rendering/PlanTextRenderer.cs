using System.Text;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// Renders a plan as Terraform users read one: a block per persona (+ create, ~ update, - delete) laid out
/// from its <see cref="ChangeView"/>, "(sensitive value)" for secrets, and a closing count; in drift's
/// voice, the fields where live differs from Git. Pure: returns a string; colour is a choice of the caller.
/// </summary>
public static class PlanTextRenderer
{
    public static string Render(Plan plan, bool color = false, bool verbose = false, ChangeVoice voice = ChangeVoice.Plan, Kinds.KindRegistry? kinds = null)
    {
        var text = new StringBuilder();
        var style = color ? Ansi.On : Ansi.Off;
        var target = TextEscape.Control(plan.Target);
        var changing = plan.Personas.Where(p => p.Action != PlanAction.NoOp).ToArray();
        if (plan.Environment is not null)
        {
            text.AppendLine($"Environment: {TextEscape.Control(plan.Environment)}");
        }

        if (plan.Base is not null)
        {
            text.AppendLine($"Three-way plan: Git's change since {ThreeWayView.Base(plan)}, edits made outside PersonaOps since then, and conflicts between the two.");
            Section(text, style, ThreeWayView.Conflicts(plan),
                $"Conflicts: these fields were changed by this change and also outside PersonaOps since {ThreeWayView.Base(plan)}, to another value. apply refuses this plan unless --overwrite-outside-changes is given, which keeps Git's value:");
            text.AppendLine();
        }

        if (changing.Length == 0)
        {
            text.AppendLine(voice == ChangeVoice.Plan
                ? $"No changes. The personas on {target} match the manifests."
                : $"No drift. The personas on {target} match the manifests in Git.");
        }
        else
        {
            text.AppendLine(voice == ChangeVoice.Plan
                ? $"PersonaOps will perform the following actions on {target}:"
                : $"Drift: the personas on {target} differ from the manifests in Git (changed outside PersonaOps, or not applied yet):");
            foreach (var persona in changing)
            {
                text.AppendLine();
                foreach (var line in ChangeView.Persona(persona, voice, kinds))
                {
                    text.AppendLine(Layout(line, style));
                }
            }
        }

        if (plan.Base is not null)
        {
            Section(text, style, ThreeWayView.OutsideChanges(plan),
                $"Outside changes: these fields were edited outside PersonaOps (in the dashboard, say) since {ThreeWayView.Base(plan)}, and this change leaves them alone. apply reverts them to what Git holds; to keep them, adopt them into the manifests (personaops drift --adopt):");
            Section(text, style, ThreeWayView.Unmanaged(plan),
                $"No longer managed: these manifests were in {ThreeWayView.Base(plan)} and are gone from Git. Nothing is deleted; to delete a persona, keep its manifest with metadata.ensure: absent:");
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
                text.AppendLine(TextEscape.Control($"  # {persona.Address}: {note}"));
            }
        }

        text.AppendLine();
        text.AppendLine(style.Bold(voice == ChangeVoice.Plan
            ? $"Plan: {plan.ToAdd} to add, {plan.ToChange} to change, {plan.ToDelete} to delete."
            : $"Drift: {plan.ToChange} {(plan.ToChange == 1 ? "persona differs" : "personas differ")} from Git, {plan.ToAdd} missing live, {plan.ToDelete} to be deleted live. Run personaops plan to see what apply would do."));
        return text.ToString();
    }

    /// <summary>A heading and one line per persona (with its fields), after a blank line; nothing when the list is empty.</summary>
    private static void Section(StringBuilder text, Ansi style, IReadOnlyList<ThreeWayView.Entry> entries, string heading)
    {
        if (entries.Count == 0)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine(style.Bold(heading));
        foreach (var entry in entries)
        {
            var id = entry.LiveId is null ? "" : $" [{entry.LiveId}]";
            text.AppendLine($"  {entry.Address} ({entry.File}){id}{(entry.Fields.Count == 0 ? "" : ": " + string.Join(", ", entry.Fields))}");
        }
    }

    /// <summary>A view line for a terminal: indent, the mark, the text.</summary>
    private static string Layout(ViewLine line, Ansi style)
    {
        var text = new StringBuilder(line.Indent + 64);
        text.Append(' ', line.Indent).Append(style.Mark(line.Mark)).Append(' ');
        foreach (var segment in line.Segments)
        {
            text.Append(style.Segment(segment));
        }

        return line.Text.Length == 0 ? text.ToString().TrimEnd() : text.ToString();
    }
}
