using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Manifests;

/// <summary>Whether a manifest's persona should exist (<c>metadata.ensure</c>).</summary>
public enum Ensure
{
    Present,
    Absent,
}

/// <summary>
/// A validated persona manifest: its identity fields and the Tavus persona body (<c>spec</c>) exactly as
/// written, references unresolved. <see cref="Map"/> places any value of the document back in its file.
/// </summary>
public sealed record Manifest(
    string File,
    int DocumentIndex,
    SourcePosition Position,
    string Name,
    string? Id,
    Ensure Ensure,
    IReadOnlyList<JsonPointer> Ignore,
    JsonObject? Spec,
    SourceMap Map)
{
    /// <summary>
    /// The persona's display name from spec as written, references unresolved: what validation compares.
    /// Identity uses the resolved name (<see cref="Resolving.DesiredResource.PersonaName"/>).
    /// </summary>
    public string? PersonaName => Kind.Identity.Name(Spec);

    /// <summary>Terraform's address: how the user refers to this manifest's resource (<c>persona.coach</c>).</summary>
    public string Address => Kind.Address(Name);

    /// <summary>The kind the manifest declares (<c>kind:</c>), which says how to validate, identify and plan it.</summary>
    public Kinds.ResourceKind Kind { get; init; } = Kinds.PersonaKind.Descriptor;

    /// <summary>The overlay merged onto this manifest for the environment it was read for (its file), or null.</summary>
    public string? Overlay { get; init; }

    /// <summary><c>file(line,col)</c>: where a person finds this manifest.</summary>
    public string Location => $"{File}({Position.Line},{Position.Column})";
}
