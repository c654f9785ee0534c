using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Kinds;

/// <summary>
/// Where the API serves a kind and how it wraps it: the collection path, the list's query and envelope, the
/// first page's number. The client reads these instead of hard-wiring a kind's routes.
/// </summary>
public sealed record KindApi(string CollectionPath, string ListQuery = "", string ItemsField = "data", string TotalField = "total_count", int FirstPage = 1);

/// <summary>The checks of a kind that its schema cannot express, run on a document that passed its schema.</summary>
public delegate void KindRules(string file, JsonObject spec, SourceMap map, List<Diagnostic> diagnostics);

/// <summary>
/// A resource kind as data, not as a code path: the <c>kind:</c> its manifests carry, its schema (which
/// drives validation and the diff), its identity (id and name fields, with their aliases), its rules beyond
/// the schema, and its API shape. Reading, validating, resolving, identifying, planning and rendering ask the
/// kind; adding one is its own folder and one <see cref="KindRegistry.With"/>.
/// </summary>
public sealed class ResourceKind
{
    private readonly Lazy<KindSchema> _schema;

    public ResourceKind(string manifestKind, KindIdentity identity, Func<KindSchema> schema, KindApi api, KindRules? rules = null)
    {
        ManifestKind = manifestKind;
        Identity = identity;
        _schema = new Lazy<KindSchema>(schema);
        Api = api;
        Rules = rules;
    }

    /// <summary>What a manifest's <c>kind:</c> says ("Persona").</summary>
    public string ManifestKind { get; }

    /// <summary>The kind as users read it in addresses and messages ("persona": <c>persona.coach</c>).</summary>
    public string Name => Identity.Kind;

    public KindSchema Schema => _schema.Value;

    public KindIdentity Identity { get; }

    public KindApi Api { get; }

    public KindRules? Rules { get; }

    /// <summary>The address of the manifest named <paramref name="name"/>: <c>persona.coach</c>.</summary>
    public string Address(string name) => $"{Name}.{name}";

    /// <summary>"persona" or "personas".</summary>
    public string Noun(int count) => count == 1 ? Name : Name + "s";

    public override string ToString() => ManifestKind;
}

/// <summary>
/// The kinds PersonaOps manages, in registration order (the first is the default, used to report on a
/// document whose kind is unknown). <see cref="Default"/> holds the built-in kinds.
/// </summary>
public sealed class KindRegistry
{
    private readonly ResourceKind[] _kinds;

    private KindRegistry(ResourceKind[] kinds) => _kinds = kinds;

    /// <summary>The kinds PersonaOps ships with: persona.</summary>
    public static KindRegistry Default { get; } = new([PersonaKind.Descriptor]);

    public IReadOnlyList<ResourceKind> All => _kinds;

    /// <summary>The kind used for a document whose <c>kind:</c> names none of these.</summary>
    public ResourceKind Primary => _kinds[0];

    /// <summary>This registry and one more kind.</summary>
    public KindRegistry With(ResourceKind kind) =>
        _kinds.Any(k => k.ManifestKind == kind.ManifestKind || k.Name == kind.Name)
            ? throw new ArgumentException($"the kind {kind.ManifestKind} is registered twice", nameof(kind))
            : new([.. _kinds, kind]);

    /// <summary>The kind of a manifest's <c>kind:</c> value, or null.</summary>
    public ResourceKind? ForManifest(string? manifestKind) => Array.Find(_kinds, k => k.ManifestKind == manifestKind);

    /// <summary>The kind of an address prefix (<c>persona</c>), or null.</summary>
    public ResourceKind? Named(string? name) => Array.Find(_kinds, k => k.Name == name);
}
