using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Core.Resolving;

/// <summary>
/// A secret a resource sends: where it goes in spec, the reference as written (<c>${env:LLM_KEY}</c>) and
/// the variables it names. Its value is looked up only when it is needed (a fingerprint, apply), never kept.
/// </summary>
public sealed record SecretReference(JsonPointer Pointer, string Reference, IReadOnlyList<string> Variables);

/// <summary>
/// One manifest as the plan sees it: what it manages (id, name, ensure, ignore) and its spec with every
/// non-secret <c>${env:...}</c> resolved, once; secret fields keep their references, bound in
/// <see cref="Secrets"/>. <see cref="Source"/> keeps the manifest, so every value can be placed back in its
/// file. Identity, uniqueness and the plan's persona_name all read these resolved values.
/// </summary>
public sealed record DesiredResource(Manifest Source, JsonObject? Spec, IReadOnlyList<SecretReference> Secrets)
{
    /// <summary>The resource's kind: how it is identified, diffed and sent.</summary>
    public ResourceKind Kind => Source.Kind;

    /// <summary>The manifest's metadata.name.</summary>
    public string Name => Source.Name;

    /// <summary>Terraform's address: how the user refers to this resource (<c>persona.coach</c>).</summary>
    public string Address => Source.Address;

    /// <summary>metadata.id: the exact live resource this manifest manages, when pinned.</summary>
    public string? Id => Source.Id;

    public Ensure Ensure => Source.Ensure;

    public IReadOnlyList<JsonPointer> Ignore => Source.Ignore;

    /// <summary>The resolved persona_name: what is matched against the account and what the persona is called.</summary>
    public string? PersonaName => Kind.Identity.Name(Spec);

    public string File => Source.File;

    public SourcePosition Position => Source.Position;

    public string Location => Source.Location;

    /// <summary>Where the value at <paramref name="documentPointer"/> (from the document root: <c>/spec/persona_name</c>) was written.</summary>
    public SourcePosition ValueAt(string documentPointer) => Source.Map.ValueAt(documentPointer);

    /// <summary>A diagnostic about this resource, at the value of <paramref name="documentPointer"/>.</summary>
    public Diagnostic At(DiagnosticDescriptor descriptor, string documentPointer, string message) =>
        descriptor.At(File, ValueAt(documentPointer), message) with { Address = Address };
}
