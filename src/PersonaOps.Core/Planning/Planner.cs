using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Planning;

/// <summary>Choices that change what a plan contains.</summary>
public sealed record PlanOptions
{
    /// <summary>Send every secret again even where it cannot be compared.</summary>
    public bool RotateSecrets { get; init; }
}

/// <summary>
/// Computes the plan: which live persona each manifest manages (metadata.id, else the one persona with its
/// persona_name, else none), and per persona the action and the exact JSON Patch. Pure: manifests, the
/// live personas and an environment lookup in, a <see cref="Plan"/> out.
/// </summary>
public static class Planner
{
    public static Plan Create(string target, IReadOnlyList<Manifest> manifests, IReadOnlyList<JsonObject> live, Func<string, string?> environment, PlanOptions? options = null, PersonaSchema? schema = null)
    {
        schema ??= PersonaSchema.V1;
        options ??= new PlanOptions();
        var byId = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var byName = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var persona in live)
        {
            if (persona["persona_id"] is JsonValue id && id.TryGetValue<string>(out var s))
            {
                byId[s] = persona;
            }

            if (persona["persona_name"] is JsonValue n && n.TryGetValue<string>(out var name))
            {
                (byName.TryGetValue(name, out var list) ? list : byName[name] = []).Add(persona);
            }
        }

        // Identity first, in manifest order (a persona claimed twice is an error on the second claim), then
        // each persona's diff on every core: each touches only its own manifest and live document.
        var resolved = new (JsonObject? Current, string? Error)[manifests.Count];
        var claimed = new Dictionary<string, Manifest>(StringComparer.Ordinal);
        for (var i = 0; i < manifests.Count; i++)
        {
            var manifest = manifests[i];
            var error = Resolve(manifest, byName, byId, out var current);
            if (error is null && current is not null && Id(current) is { } liveId)
            {
                if (claimed.TryGetValue(liveId, out var other))
                {
                    error = $"manifest '{manifest.Name}' and manifest '{other.Name}' ({other.Location}) both manage persona {liveId}; pin each to its own persona with metadata.id.";
                }
                else
                {
                    claimed[liveId] = manifest;
                }
            }

            resolved[i] = (current, error);
        }

        var planned = new PersonaPlan?[manifests.Count];
        var failures = new string?[manifests.Count];
        Parallel.For(0, manifests.Count, i =>
        {
            if (resolved[i].Error is not null)
            {
                failures[i] = resolved[i].Error;
                return;
            }

            try
            {
                planned[i] = PlanOne(manifests[i], resolved[i].Current, environment, options, schema);
            }
            catch (PlanningException ex)
            {
                failures[i] = ex.Message;
            }
        });

        var personas = planned.OfType<PersonaPlan>().ToList();
        var errors = manifests.Select((m, i) => failures[i] is { } message ? new PlanError(m.Name, m.File, m.Position.Line, message) : null).OfType<PlanError>().ToList();
        return new Plan(target, personas, errors);
    }

    private static string? Resolve(Manifest manifest, Dictionary<string, List<JsonObject>> byName, Dictionary<string, JsonObject> byId, out JsonObject? current)
    {
        current = null;
        if (manifest.Id is { } id)
        {
            if (byId.TryGetValue(id, out current))
            {
                return null;
            }

            return manifest.Ensure == Ensure.Absent
                ? null
                : $"metadata.id {id} is not a persona of this account (it may have been deleted, or belong to another account); remove metadata.id to create the persona, or fix the id.";
        }

        var name = manifest.PersonaName;
        if (name is null)
        {
            return manifest.Ensure == Ensure.Absent ? null : null;
        }

        var matches = byName.TryGetValue(name, out var named) ? named : [];
        if (matches.Count > 1)
        {
            return $"{matches.Count} live personas are named '{name}' ({string.Join(", ", matches.Select(Id))}); PersonaOps will not guess. Pin the one to manage with metadata.id.";
        }

        current = matches.SingleOrDefault();
        return null;
    }

    private static PersonaPlan PlanOne(Manifest manifest, JsonObject? live, Func<string, string?> environment, PlanOptions options, PersonaSchema schema)
    {
        var liveId = live is null ? null : Id(live);
        var fingerprint = live is null ? null : CanonicalJson.Hash(live);
        if (manifest.Ensure == Ensure.Absent)
        {
            return live is null
                ? Plan(manifest, null, PlanAction.NoOp, JsonPatchDocument.Empty, null, [], [], null, ["already absent"])
                : Plan(manifest, live, PlanAction.Delete, JsonPatchDocument.Empty, null, Deleted(live, schema), [], fingerprint, []);
        }

        var desired = ResolveReferences(manifest, manifest.Spec!.DeepClone().AsObject(), environment, schema);
        var diff = new PersonaDiff(manifest.Ignore, environment, options.RotateSecrets);
        if (live is null)
        {
            diff.BindSecretsForCreate(desired);
            var changes = new List<FieldChange>();
            Flatten(desired, JsonPointer.Root, changes, schema);
            return Plan(manifest, null, PlanAction.Create, JsonPatchDocument.Empty, desired, changes, diff.Secrets, null, []);
        }

        var target = diff.Target(live, desired, schema.Spec);
        var patch = PatchGenerator.Create(live, target, new PatchPolicy { ArrayMode = _ => ArrayDiffMode.Whole });
        var fieldChanges = patch.Operations.Select(op =>
        {
            op.Path.TryResolve(live, out var before);
            var secret = IsSecret(op.Path, schema);
            return new FieldChange(op.Path.Text, Mask(before, op.Path, schema), op.Op == PatchOp.Remove ? null : Mask(op.Value, op.Path, schema), secret);
        }).ToArray();
        return Plan(manifest, live, patch.Count == 0 ? PlanAction.NoOp : PlanAction.Update, patch, null, fieldChanges, diff.Secrets, fingerprint, diff.Notes) with
        {
            UncomparableSecrets = diff.UncomparableSecrets,
        };
    }

    private static PersonaPlan Plan(Manifest manifest, JsonObject? live, PlanAction action, JsonPatchDocument patch, JsonObject? body,
        IReadOnlyList<FieldChange> changes, IReadOnlyList<SecretBinding> secrets, string? fingerprint, IReadOnlyList<string> notes) =>
        new(manifest.Name, manifest.File, manifest.Position.Line, live is null ? manifest.Id : Id(live), manifest.PersonaName, action, patch, body, changes, secrets, fingerprint, notes);

    /// <summary>A create shown field by field: objects opened down to their leaves, lists and free-form objects whole.</summary>
    private static void Flatten(JsonObject obj, JsonPointer at, List<FieldChange> changes, PersonaSchema schema)
    {
        foreach (var (key, value) in obj)
        {
            var pointer = at.Append(key);
            if (value is JsonObject child && SchemaAt(pointer, schema) is { } field && field.PropertyCount > 0 && !field.Schema.AllowAdditionalProperties)
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
    private static List<FieldChange> Deleted(JsonObject live, PersonaSchema schema) =>
        live.Where(p => p.Value is not null && schema.Spec.Member(p.Key)?.IsReadOnly != true)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new FieldChange(JsonPointer.Root.Append(p.Key).Text, Mask(p.Value, JsonPointer.Root.Append(p.Key), schema), null, IsSecret(JsonPointer.Root.Append(p.Key), schema)))
            .ToList();

    private static SchemaField? SchemaAt(JsonPointer pointer, PersonaSchema schema)
    {
        SchemaField? field = schema.Spec;
        foreach (var token in pointer.Tokens)
        {
            field = JsonPointer.TryParseIndex(token, out _) && field?.Items is { } items ? items : field?.Member(token);
        }

        return field;
    }

    /// <summary>Replaces ${env:...} references outside secret fields; secrets keep theirs until apply.</summary>
    private static JsonObject ResolveReferences(Manifest manifest, JsonObject spec, Func<string, string?> environment, PersonaSchema schema)
    {
        var secretPointers = new HashSet<string>(StringComparer.Ordinal);
        PersonaShape.VisitSecrets(spec, (pointer, _) => secretPointers.Add(pointer.Text), schema);
        Walk(spec, JsonPointer.Root);
        return spec;

        void Walk(JsonNode? node, JsonPointer pointer)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj.ToArray())
                    {
                        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && !secretPointers.Contains(pointer.Append(key).Text))
                        {
                            obj[key] = Substitute(v.GetValue<string>(), pointer.Append(key));
                        }
                        else
                        {
                            Walk(value, pointer.Append(key));
                        }
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                        {
                            array[i] = Substitute(v.GetValue<string>(), pointer.Append(i));
                        }
                        else
                        {
                            Walk(array[i], pointer.Append(i));
                        }
                    }

                    break;
            }
        }

        JsonNode Substitute(string text, JsonPointer pointer)
        {
            var resolved = EnvReference.Resolve(text, environment, out var missing);
            if (resolved is null)
            {
                var position = manifest.Map.ValueAt("/spec" + pointer.Text);
                throw new PlanningException($"{manifest.File}({position.Line},{position.Column}): the environment variable {missing} is not set (referenced by spec.{Validation.FieldPath.Display(pointer)}).");
            }

            return JsonValue.Create(resolved);
        }
    }

    private static bool IsSecret(JsonPointer pointer, PersonaSchema schema) => SchemaAt(pointer, schema)?.IsWriteOnly == true;

    /// <summary>A copy of a value with every secret inside it replaced by "(sensitive value)".</summary>
    public static JsonNode? Mask(JsonNode? value, JsonPointer at, PersonaSchema? schema = null)
    {
        schema ??= PersonaSchema.V1;
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

    internal static string? Id(JsonNode persona) =>
        persona["persona_id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>A manifest that cannot be planned; the message says why and what to do.</summary>
internal sealed class PlanningException(string message) : Exception(message);
