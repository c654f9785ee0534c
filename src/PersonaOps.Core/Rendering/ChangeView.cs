using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// The change view of a plan: for each changing persona, the lines that show what changes, computed once
/// from the plan's values and laid out by each renderer (text, Markdown). In the plan's voice it says what
/// apply will do; in drift's voice, how live differs from Git.
/// </summary>
public static class ChangeView
{
    private const int FieldIndent = 6;

    /// <param name="kinds">Where the resource's kind (its schema: what is secret, compared as a set or as text) is found.</param>
    public static IReadOnlyList<ViewLine> Persona(PersonaPlan persona, ChangeVoice voice = ChangeVoice.Plan, KindRegistry? kinds = null)
    {
        var schema = ((kinds ?? KindRegistry.Default).Named(persona.Kind) ?? PersonaKind.Descriptor).Schema;
        var lines = new List<ViewLine>();
        var id = persona.LiveId is null ? "" : $" [{persona.LiveId}]";
        var where = TextEscape.Control($"{persona.Address} ({persona.File}){id}");
        if (voice == ChangeVoice.Drift)
        {
            lines.Add(ViewLine.Of(0, LineMark.None, persona.Action switch
            {
                PlanAction.Create => $"# {where} is in Git but does not exist live",
                PlanAction.Delete => $"# {where} exists live, but its manifest says ensure: absent",
                _ => $"# {where} differs from Git",
            }, SegmentStyle.Heading));
            if (persona.Action == PlanAction.Update)
            {
                lines.Add(ViewLine.Of(4, LineMark.None, "# (- live only, + in Git only, ~ differs)", SegmentStyle.Comment));
                lines.AddRange(Fields(persona, voice, schema));
            }

            return lines;
        }

        var (verb, mark) = persona.Action switch
        {
            PlanAction.Create => ("will be created", LineMark.Add),
            PlanAction.Update => ("will be updated in-place", LineMark.Change),
            _ => ("will be deleted", LineMark.Remove),
        };
        lines.Add(ViewLine.Of(0, LineMark.None, $"# {where} {verb}", SegmentStyle.Heading));
        if (persona.RenamedFrom is { } before)
        {
            lines.Add(ViewLine.Of(2, LineMark.None, TextEscape.Control($"# renamed: the live persona named '{before}' in the base is renamed, not created again"), SegmentStyle.Comment));
        }

        lines.Add(ViewLine.Of(2, mark, $"{TextEscape.Control(persona.Kind)} \"{TextEscape.Control(persona.Name)}\" {{"));
        if (persona.Action == PlanAction.Delete && persona.Changes.Count == 0)
        {
            // A plan file written before deletes listed their fields: what it recorded.
            lines.Add(ViewLine.Of(FieldIndent, LineMark.Remove, $"persona_name = {TextEscape.Control(ValueDiff.Json(JsonValue.Create(persona.PersonaName)))}"));
        }

        lines.AddRange(Fields(persona, voice, schema));
        lines.Add(ViewLine.Of(2, LineMark.None, "}"));
        return lines;
    }

    private static List<ViewLine> Fields(PersonaPlan persona, ChangeVoice voice, KindSchema schema)
    {
        var diff = new ValueDiff(voice);
        var labels = persona.Changes.Select(c => Validation.FieldPath.Display(c.Path)).ToArray();
        var pad = labels.Select(l => TextEscape.Changed(l).Length).DefaultIfEmpty(0).Max();
        for (var i = 0; i < persona.Changes.Count; i++)
        {
            var change = persona.Changes[i];
            if (ThreeWayView.FieldNote(persona, change.Path) is { } note)
            {
                diff.Lines.Add(ViewLine.Of(FieldIndent, LineMark.None, note, SegmentStyle.Comment));
            }

            diff.Field(FieldIndent, labels[i], pad, change.Before, change.After, schema.At(JsonPointer.Parse(change.Path)), change.Sensitive, change.BeforeIsNull, change.AfterIsNull);
        }

        return diff.Lines;
    }
}
