using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Planning;

/// <summary>What a plan does to one persona.</summary>
public enum PlanAction
{
    NoOp,
    Create,
    Update,
    Delete,
}

/// <summary>How one field changes, for people: the path, the masked values, and whether it is a secret.</summary>
public sealed record FieldChange(string Path, JsonNode? Before, JsonNode? After, bool Sensitive, string? Note = null)
{
    /// <summary>Before is JSON null, present (not absent): System.Text.Json reads both as a null node.</summary>
    public bool BeforeIsNull { get; init; }

    /// <summary>After is JSON null, set (not removed).</summary>
    public bool AfterIsNull { get; init; }
}

/// <summary>A secret the plan sends: where, which variable it comes from, and a fingerprint of the value planned.</summary>
public sealed record SecretBinding(string Pointer, string Reference, string? Fingerprint);

/// <summary>
/// The plan for one manifest. <see cref="Patch"/> is exactly what apply sends for an update (secret values
/// appear only as their <c>${env:...}</c> references); <see cref="Body"/> is the create body, likewise.
/// </summary>
public sealed record PersonaPlan(
    string Name,
    string File,
    int Line,
    string? LiveId,
    string? PersonaName,
    PlanAction Action,
    JsonPatchDocument Patch,
    JsonObject? Body,
    IReadOnlyList<FieldChange> Changes,
    IReadOnlyList<SecretBinding> Secrets,
    string? LiveFingerprint,
    IReadOnlyList<string> Notes)
{
    /// <summary>Why the resource gets its <see cref="Action"/>: how it was matched, and what differs.</summary>
    public string? Reason { get; init; }

    /// <summary>The resource's kind, as in its address ("persona").</summary>
    public string Kind { get; init; } = Kinds.PersonaKind.Identity.Kind;

    /// <summary>Terraform's address: how the user refers to this resource (<c>persona.coach</c>).</summary>
    public string Address => $"{Kind}.{Name}";

    /// <summary>
    /// The secrets (JSON Pointers into spec) Tavus does not return, so the plan cannot tell whether they
    /// match: worth showing even when nothing else changes, since "no changes" cannot be proven for them.
    /// </summary>
    public IReadOnlyList<string> UncomparableSecrets { get; init; } = [];

    /// <summary>
    /// With a base (three-way plan): the fields (JSON Pointers into spec) that live changed since the base
    /// while this change leaves them as they were; applying reverts those edits made outside PersonaOps.
    /// </summary>
    public IReadOnlyList<string> OutsideChanges { get; init; } = [];

    /// <summary>With a base: the fields this change sets that live also changed since the base, to another value.</summary>
    public IReadOnlyList<string> Conflicts { get; init; } = [];

    /// <summary>With a base: the name the live persona carries, which this change renames (the base's persona_name).</summary>
    public string? RenamedFrom { get; init; }
}

/// <summary>
/// The whole plan: a value. Rendering and applying are functions of it. <see cref="Errors"/> are the
/// problems that stopped manifests from being planned (a variable not set, an ambiguous persona_name, an id
/// not in the account, ...): diagnostics with catalogued codes, each with its address, file, line and column.
/// </summary>
public sealed record Plan(string Target, IReadOnlyList<PersonaPlan> Personas, IReadOnlyList<Diagnostics.Diagnostic> Errors)
{
    /// <summary>2: fingerprints keyed (<see cref="PlanKey"/>), the account recorded. A version 1 file is refused: its unkeyed fingerprints prove nothing here.</summary>
    public const int FormatVersion = 2;

    /// <summary>
    /// The account the plan was made against (<see cref="PlanKey.Account"/>): <see cref="Target"/> names the API,
    /// this names whose account it is, so a plan made with a staging key is refused under a production key
    /// at the same URL. Never the key, nor anything that reveals it.
    /// </summary>
    public string? Account { get; init; }

    /// <summary>The environment of personaops.yaml the plan was made for (part of its target), or null without one.</summary>
    public string? Environment { get; init; }

    public int ToAdd => Personas.Count(p => p.Action == PlanAction.Create);

    public int ToChange => Personas.Count(p => p.Action == PlanAction.Update);

    public int ToDelete => Personas.Count(p => p.Action == PlanAction.Delete);

    public bool HasChanges => ToAdd + ToChange + ToDelete > 0;

    /// <summary>The revision of the base manifests of a three-way plan (<c>--base</c>), or null.</summary>
    public string? Base { get; init; }

    /// <summary>With a base: the manifests of the base that the head no longer has. Nothing is deleted for them.</summary>
    public IReadOnlyList<UnmanagedResource> Unmanaged { get; init; } = [];

    /// <summary>The personas whose plan has conflicts: apply refuses them unless told to overwrite.</summary>
    public IEnumerable<PersonaPlan> Conflicted => Personas.Where(p => p.Conflicts.Count > 0);

    /// <summary>
    /// The plan file's seal (<see cref="PlanKey.Seal"/>): its fingerprint keyed by the account's plan key,
    /// set by whoever holds the key just before the plan is written; not part of the fingerprint.
    /// </summary>
    public string? Seal { get; init; }
}
