using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Planning;

/// <summary>Choices that change what a plan contains.</summary>
public sealed record PlanOptions
{
    /// <summary>Send every secret again even where it cannot be compared.</summary>
    public bool RotateSecrets { get; init; }

    /// <summary>The manifests as last reconciled, for a three-way plan (<see cref="ThreeWay"/>); null: two-way.</summary>
    public PlanBase? Base { get; init; }
}

/// <summary>
/// Computes the plan: which live persona each resolved manifest manages (metadata.id, else the one persona
/// with its resolved persona_name, else none), and per persona the action and the exact JSON Patch. Pure:
/// resolved resources, the live personas and an environment lookup in, a <see cref="Plan"/> out.
/// </summary>
public static class Planner
{
    /// <summary>Resolves the manifests (<see cref="DesiredResolver"/>), then plans them; resolution problems are plan errors.</summary>
    public static Plan Create(PlanTarget target, IReadOnlyList<Manifest> manifests, IReadOnlyList<JsonObject> live, Func<string, string?> environment, PlanOptions? options = null, KindSchema? schema = null) =>
        Create(target, DesiredResolver.Resolve(manifests, environment, requireSecrets: false, schema), live, environment, options, schema);

    /// <summary>
    /// Plans resolved resources against the live personas (normalised by the client: one vocabulary). The
    /// errors of <paramref name="desired"/> come first in the plan's errors, then identity's, in manifest order.
    /// </summary>
    public static Plan Create(PlanTarget target, ResolveResult desired, IReadOnlyList<JsonObject> live, Func<string, string?> environment, PlanOptions? options = null, KindSchema? schema = null) =>
        Create(target, desired, kind => kind == PersonaKind.Descriptor ? live : [], environment, options, schema);

    /// <summary>
    /// Plans resolved resources of any kinds against the live resources of each kind (<paramref name="live"/>,
    /// normalised by the client: one vocabulary). The errors of <paramref name="desired"/> come first in the
    /// plan's errors, then identity's, in manifest order. <paramref name="schema"/>, when given, replaces
    /// every resource's kind schema (tests of a schema).
    /// </summary>
    public static Plan Create(PlanTarget target, ResolveResult desired, Func<ResourceKind, IReadOnlyList<JsonObject>> live, Func<string, string?> environment, PlanOptions? options = null, KindSchema? schema = null)
    {
        options ??= new PlanOptions();
        var resources = desired.Resources;
        var indexes = resources.Select(r => r.Kind).Distinct().ToDictionary(k => k, k => new LiveIndex(k, live(k)));
        var pairs = options.Base is { } planBase ? ThreeWay.Pair(resources, planBase.Resources) : new Dictionary<DesiredResource, DesiredResource>();

        // Identity first, in manifest order (a live resource claimed twice is an error on the second claim),
        // then each resource's diff on every core: each touches only its own manifest and live document.
        var resolved = new (JsonObject? Current, Diagnostic? Error)[resources.Count];
        var claimed = new Dictionary<(ResourceKind, string), DesiredResource>();
        for (var i = 0; i < resources.Count; i++)
        {
            var resource = resources[i];
            var kind = resource.Kind;
            var error = Identify(resource, pairs.GetValueOrDefault(resource), indexes[kind], out var current);
            if (error is null && current is not null && kind.Identity.Id(current) is { } liveId)
            {
                if (claimed.TryGetValue((kind, liveId), out var other))
                {
                    error = resource.At(DiagnosticCatalog.ClaimedTwice, resource.Id is null ? "/spec/" + kind.Identity.NameField : "/metadata/id",
                        $"manifest '{resource.Name}' and manifest '{other.Name}' ({other.Location}) both manage {kind.Name} {liveId}; pin each to its own {kind.Name} with metadata.id.");
                }
                else
                {
                    claimed[(kind, liveId)] = resource;
                }
            }

            resolved[i] = (current, error);
        }

        var planned = new PersonaPlan?[resources.Count];
        Parallel.For(0, resources.Count, i =>
        {
            if (resolved[i].Error is null)
            {
                planned[i] = PlanOne(resources[i], pairs.GetValueOrDefault(resources[i]), resolved[i].Current, environment, options, schema ?? resources[i].Kind.Schema, target.Key);
            }
        });

        var personas = planned.OfType<PersonaPlan>().ToList();
        var errors = desired.Diagnostics.Where(d => d.IsError).Concat(resolved.Select(r => r.Error).OfType<Diagnostic>()).ToList();
        return new Plan(target.Description, personas, errors)
        {
            Account = target.Account,
            Environment = target.Environment,
            Base = options.Base?.Revision,
            Unmanaged = options.Base is { } removedFrom ? Unmanaged(ThreeWay.Removed(removedFrom.Resources, pairs), indexes) : [],
        };
    }

    /// <summary>The base's manifests that the head no longer has, each with the live resource it managed, if one can be told.</summary>
    private static UnmanagedResource[] Unmanaged(IReadOnlyList<DesiredResource> removed, Dictionary<ResourceKind, LiveIndex> indexes) =>
        removed.Where(r => r.Ensure != Ensure.Absent).Select(r =>
        {
            var index = indexes.GetValueOrDefault(r.Kind);
            var live = r.Id is { } id ? index?.ById.GetValueOrDefault(id)
                : r.PersonaName is { } name && index?.ByName.GetValueOrDefault(name) is [var only] ? only : null;
            return new UnmanagedResource(r.Address, r.File, live is null ? r.Id : r.Kind.Identity.Id(live));
        }).ToArray();

    /// <summary>One kind's live resources by id and by name.</summary>
    private sealed class LiveIndex
    {
        public LiveIndex(ResourceKind kind, IReadOnlyList<JsonObject> live)
        {
            foreach (var resource in live)
            {
                if (kind.Identity.Id(resource) is { } id)
                {
                    ById[id] = resource;
                }

                if (kind.Identity.Name(resource) is { } name)
                {
                    (ByName.TryGetValue(name, out var list) ? list : ByName[name] = []).Add(resource);
                }
            }
        }

        public Dictionary<string, JsonObject> ById { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<JsonObject>> ByName { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The live resource a resource manages: metadata.id, else the one of its kind with its resolved name, else none.</summary>
    /// <remarks>
    /// With a base: a manifest whose resolved name changed since the base (and that pins no id) manages the
    /// one live resource carrying the base's name, when none carries the new one: a rename, not a second
    /// resource beside the first.
    /// </remarks>
    private static Diagnostic? Identify(DesiredResource resource, DesiredResource? @base, LiveIndex live, out JsonObject? current)
    {
        current = null;
        var kind = resource.Kind;
        if (resource.Id is { } id)
        {
            if (live.ById.TryGetValue(id, out current))
            {
                return null;
            }

            return resource.Ensure == Ensure.Absent
                ? null
                : resource.At(DiagnosticCatalog.UnknownId, "/metadata/id",
                    $"metadata.id {id} is not a {kind.Name} of this account (it may have been deleted, or belong to another account); remove metadata.id to create the {kind.Name}, or fix the id.");
        }

        if (resource.PersonaName is not { } name)
        {
            return null;
        }

        var matches = live.ByName.TryGetValue(name, out var named) ? named : [];
        if (matches.Count == 0 && @base is { Id: null, PersonaName: { } before } && before != name && live.ByName.TryGetValue(before, out var renamed) && renamed.Count == 1)
        {
            matches = renamed;
        }

        if (matches.Count > 1)
        {
            return resource.At(DiagnosticCatalog.AmbiguousPersonaName, "/spec/" + kind.Identity.NameField,
                $"{matches.Count} live {kind.Noun(matches.Count)} are named '{name}' ({string.Join(", ", matches.Select(kind.Identity.Id))}); PersonaOps will not guess. Pin the one to manage with metadata.id.");
        }

        current = matches.SingleOrDefault();
        return null;
    }

    private static PersonaPlan PlanOne(DesiredResource manifest, DesiredResource? @base, JsonObject? live, Func<string, string?> environment, PlanOptions options, KindSchema schema, PlanKey key)
    {
        var fingerprint = live is null ? null : key.Document(live);
        if (manifest.Ensure == Ensure.Absent)
        {
            return live is null
                ? Plan(manifest, null, PlanAction.NoOp, JsonPatchDocument.Empty, null, [], [], null, ["already absent"])
                : Plan(manifest, live, PlanAction.Delete, JsonPatchDocument.Empty, null, Deleted(live, schema), [], fingerprint, []);
        }

        var desired = manifest.Spec!; // resolved once; read, never changed
        var diff = new PersonaDiff(manifest.Ignore, environment, options.RotateSecrets, schema, key, @base is null ? null : ThreeWay.ChangedSecrets(manifest, @base));
        if (live is null)
        {
            diff.BindSecretsForCreate(desired);
            var changes = new List<FieldChange>();
            Flatten(desired, JsonPointer.Root, changes, schema);
            return Plan(manifest, null, PlanAction.Create, JsonPatchDocument.Empty, desired, changes, diff.Secrets, null, []);
        }

        var target = diff.Target(live, desired, schema.Spec);
        var patch = PatchGenerator.Create(live, target, new PatchPolicy { ArrayMode = _ => ArrayDiffMode.Whole });
        IReadOnlyList<string> outside = [], conflicts = [];
        if (@base?.Spec is { } baseSpec && @base.Ensure != Ensure.Absent)
        {
            var baseTarget = new PersonaDiff(manifest.Ignore, environment, rotateSecrets: false, schema, key).Target(live, baseSpec, schema.Spec);
            (outside, conflicts) = ThreeWay.Attribute(patch, live, target, baseTarget);

            // Secrets the change removes that live hides: this change's own, so added after attribution.
            patch = new JsonPatchDocument([.. patch.Operations, .. ThreeWay.RemovedSecrets(manifest, @base, live, patch, manifest.Ignore)]);
        }

        var fieldChanges = patch.Operations.Select(op =>
        {
            var present = op.Path.TryResolve(live, out var before);
            var secret = IsSecret(op.Path, schema);
            if (secret && !present && op.Op == PatchOp.Remove)
            {
                // A secret Tavus hides, removed: one is set, though its value cannot be shown.
                before = JsonValue.Create(Secrets.Sensitive);
            }

            return new FieldChange(op.Path.Text, Mask(before, op.Path, schema), op.Op == PatchOp.Remove ? null : Mask(op.Value, op.Path, schema), secret)
            {
                BeforeIsNull = present && before is null,
                AfterIsNull = op.Op != PatchOp.Remove && op.Value is null,
            };
        }).ToArray();
        var renamedFrom = @base?.PersonaName is { } before && before != manifest.PersonaName && live is not null && manifest.Kind.Identity.Name(live) == before ? before : null;
        return Plan(manifest, live, patch.Count == 0 ? PlanAction.NoOp : PlanAction.Update, patch, null, fieldChanges, diff.Secrets, fingerprint, diff.Notes) with
        {
            UncomparableSecrets = diff.UncomparableSecrets,
            OutsideChanges = outside,
            Conflicts = conflicts,
            RenamedFrom = renamedFrom,
        };
    }

    private static PersonaPlan Plan(DesiredResource manifest, JsonObject? live, PlanAction action, JsonPatchDocument patch, JsonObject? body,
        IReadOnlyList<FieldChange> changes, IReadOnlyList<SecretBinding> secrets, string? fingerprint, IReadOnlyList<string> notes) =>
        new(manifest.Name, manifest.File, manifest.Position.Line, live is null ? manifest.Id : manifest.Kind.Identity.Id(live), manifest.PersonaName, action, patch, body, changes, secrets, fingerprint, notes)
        {
            Kind = manifest.Kind.Name,
            Reason = Reason(manifest, live, action, changes.Count),
        };

    /// <summary>Why a resource gets its action, in words: how it was matched, and what differs.</summary>
    private static string Reason(DesiredResource manifest, JsonObject? live, PlanAction action, int changes)
    {
        var kind = manifest.Kind;
        var matched = manifest.Id is not null ? $"metadata.id {manifest.Id}" : $"{kind.Identity.NameField} '{manifest.PersonaName}'";
        return (action, live) switch
        {
            (PlanAction.Create, _) => manifest.PersonaName is null ? $"no live {kind.Name} matches" : $"no live {kind.Name} has {kind.Identity.NameField} '{manifest.PersonaName}'",
            (PlanAction.Delete, _) => $"metadata.ensure is absent, and the live {kind.Name} matched by {matched} exists",
            (PlanAction.NoOp, null) => $"metadata.ensure is absent, and no live {kind.Name} matches",
            (PlanAction.NoOp, _) => $"the live {kind.Name} matched by {matched} equals the manifest",
            _ => $"{changes} field{(changes == 1 ? "" : "s")} of the live {kind.Name} matched by {matched} differ{(changes == 1 ? "s" : "")} from the manifest",
        };
    }

    /// <summary>A create shown field by field: objects opened down to their leaves, lists and free-form objects whole.</summary>
    private static void Flatten(JsonObject obj, JsonPointer at, List<FieldChange> changes, KindSchema schema)
    {
        foreach (var (key, value) in obj)
        {
            var pointer = at.Append(key);
            if (value is JsonObject child && schema.At(pointer) is { } field && field.PropertyCount > 0 && !field.Schema.AllowAdditionalProperties)
            {
                Flatten(child, pointer, changes, schema);
            }
            else
            {
                changes.Add(new FieldChange(pointer.Text, null, Mask(value, pointer, schema), IsSecret(pointer, schema)));
            }
        }
    }

    /// <summary>What a delete removes: every field of the live persona but the server-owned ones, secrets masked.</summary>
    private static List<FieldChange> Deleted(JsonObject live, KindSchema schema) =>
        live.Where(p => p.Value is not null && schema.Spec.Member(p.Key)?.IsReadOnly != true)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new FieldChange(JsonPointer.Root.Append(p.Key).Text, Mask(p.Value, JsonPointer.Root.Append(p.Key), schema), null, IsSecret(JsonPointer.Root.Append(p.Key), schema)))
            .ToList();

    private static bool IsSecret(JsonPointer pointer, KindSchema schema) => schema.At(pointer)?.IsWriteOnly == true;

    /// <summary>A copy of a value with every secret inside it replaced by "(sensitive value)".</summary>
    public static JsonNode? Mask(JsonNode? value, JsonPointer at, KindSchema? schema = null)
    {
        schema ??= KindSchema.Persona;
        if (value is null)
        {
            return null;
        }

        if (IsSecret(at, schema))
        {
            return JsonValue.Create(Secrets.Sensitive);
        }

        if (value is JsonObject obj)
        {
            var copy = new JsonObject();
            foreach (var (key, child) in obj)
            {
                copy[key] = Mask(child, at.Append(key), schema);
            }

            return copy;
        }

        return value.DeepClone();
    }
}
