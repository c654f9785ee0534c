using PersonaOps.Core.Planning;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Rendering;

/// <summary>
/// What a three-way plan adds to its rendering, as values both renderers lay out: the conflicts (shown
/// first), the outside changes apply reverts, and the manifests no longer managed. Each entry is one persona
/// and its fields, user text escaped; empty lists for a two-way plan.
/// </summary>
public static class ThreeWayView
{
    public sealed record Entry(string Address, string File, string? LiveId, IReadOnlyList<string> Fields);

    /// <summary>The base revision as a reader wants it: a commit shortened to 12 characters.</summary>
    public static string Base(Plan plan) =>
        plan.Base is { Length: > 12 } sha && sha.All(char.IsAsciiHexDigit) ? sha[..12] : TextEscape.Control(plan.Base ?? "");

    public static IReadOnlyList<Entry> Conflicts(Plan plan) => Entries(plan, p => p.Conflicts);

    public static IReadOnlyList<Entry> OutsideChanges(Plan plan) => Entries(plan, p => p.OutsideChanges);

    public static IReadOnlyList<Entry> Unmanaged(Plan plan) =>
        [.. plan.Unmanaged.Select(u => new Entry(TextEscape.Control(u.Address), TextEscape.Control(u.File), u.LiveId is null ? null : TextEscape.Control(u.LiveId), []))];

    /// <summary>The comment a changed field carries in a persona's block, or null: says whose change it is.</summary>
    public static string? FieldNote(PersonaPlan persona, string path) =>
        persona.Conflicts.Contains(path) ? "# conflict: also changed outside PersonaOps since the base, to another value"
        : persona.OutsideChanges.Contains(path) ? "# changed outside PersonaOps since the base; apply sets it back to Git's value"
        : null;

    private static Entry[] Entries(Plan plan, Func<PersonaPlan, IReadOnlyList<string>> fields) =>
        [.. plan.Personas.Where(p => fields(p).Count > 0)
            .Select(p => new Entry(TextEscape.Control(p.Address), TextEscape.Control(p.File), p.LiveId is null ? null : TextEscape.Control(p.LiveId),
                [.. fields(p).Select(f => TextEscape.Control(FieldPath.Display(f)))]))];
}
