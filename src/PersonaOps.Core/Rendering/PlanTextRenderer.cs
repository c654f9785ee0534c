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
