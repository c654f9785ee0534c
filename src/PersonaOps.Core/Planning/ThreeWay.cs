using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Planning;

/// <summary>
/// The manifests as they were last reconciled (those at a Git revision, for a pull request its base): the
/// third input of a plan. <see cref="Revision"/> is the commit they were read at.
/// </summary>
public sealed record PlanBase(string Revision, IReadOnlyList<DesiredResource> Resources);

/// <summary>A manifest of the base that the head no longer has: no longer managed, and never deleted for it.</summary>
public sealed record UnmanagedResource(string Address, string File, string? LiveId);

/// <summary>
/// The rules of a three-way plan (architecture.md, "Three inputs"): which base manifest each head manifest
/// continues, and per changed field whether the change is this change's (base to head), an edit made outside
/// PersonaOps since the base (base to live, which apply reverts), or both, differently (a conflict). Pure.
/// </summary>
public static class ThreeWay
{
    /// <summary>
    /// Pairs each head resource with the base resource it continues: the same kind and metadata.name; else,
    /// among those left, the same metadata.id; else the same resolved persona_name (a manifest renamed with
    /// its persona unchanged). Each base resource continues at most one head resource.
    /// </summary>
    public static IReadOnlyDictionary<DesiredResource, DesiredResource> Pair(IReadOnlyList<DesiredResource> head, IReadOnlyList<DesiredResource> @base)
    {
        var pairs = new Dictionary<DesiredResource, DesiredResource>(ReferenceEqualityComparer.Instance);
        var left = new List<DesiredResource>(@base);
        void Match(Func<DesiredResource, DesiredResource, bool> same)
        {
            foreach (var resource in head)
            {
                if (!pairs.ContainsKey(resource) && left.FindIndex(b => b.Kind == resource.Kind && same(resource, b)) is var index and >= 0)
                {
                    pairs[resource] = left[index];
                    left.RemoveAt(index);
                }
            }
        }

        Match((h, b) => h.Name == b.Name);
        Match((h, b) => h.Id is not null && h.Id == b.Id);
        Match((h, b) => h.PersonaName is not null && h.PersonaName == b.PersonaName);
        return pairs;
    }

    /// <summary>The base resources no head resource continues, in base order.</summary>
    public static IReadOnlyList<DesiredResource> Removed(IReadOnlyList<DesiredResource> @base, IReadOnlyDictionary<DesiredResource, DesiredResource> pairs)
    {
        var continued = new HashSet<DesiredResource>(pairs.Values, ReferenceEqualityComparer.Instance);
        return @base.Where(b => !continued.Contains(b)).ToArray();
    }

    /// <summary>
    /// Splits the fields a patch changes (<paramref name="patch"/>, from <paramref name="live"/> to the head's
    /// target) into outside changes (the head leaves the field as the base had it, so live was edited since:
    /// apply reverts that edit) and conflicts (the head changes the field, and live was also edited, to another
    /// value). The rest are this change's own. <paramref name="baseTarget"/> is the target the base manifest
    /// would have produced from the same live document, so defaults, ignores and normalisation read alike.
    /// </summary>
    public static (IReadOnlyList<string> OutsideChanges, IReadOnlyList<string> Conflicts) Attribute(JsonPatchDocument patch, JsonObject live, JsonObject headTarget, JsonObject baseTarget)
    {
        var outside = new List<string>();
        var conflicts = new List<string>();
        foreach (var operation in patch.Operations)
        {
            var path = operation.Path;
            var head = Value(path, headTarget);
            var @base = Value(path, baseTarget);
            var current = Value(path, live);
            if (Same(head, @base))
            {
                outside.Add(path.Text);
            }
            else if (!Same(current, @base))
            {
                conflicts.Add(path.Text);
            }
        }

        return (outside, conflicts);
    }

    /// <summary>
    /// The secrets the head sets anew: a secret field the base did not have, or whose reference changed. They
    /// are sent even when Tavus does not return secrets, where an unchanged one cannot be compared.
    /// </summary>
    public static IReadOnlySet<string> ChangedSecrets(DesiredResource head, DesiredResource? @base)
    {
        var before = (@base?.Secrets ?? []).ToDictionary(s => s.Pointer.Text, s => s.Reference, StringComparer.Ordinal);
        return head.Secrets.Where(s => !before.TryGetValue(s.Pointer.Text, out var reference) || reference != s.Reference)
            .Select(s => s.Pointer.Text).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Removes of the secrets the base set and the head no longer does, where the live document does not show
    /// them (Tavus omits secrets on read-back, so the two-way diff cannot see one to remove) but holds the
    /// object they belong to. A secret that live shows is removed by the ordinary diff already.
    /// </summary>
    public static IReadOnlyList<PatchOperation> RemovedSecrets(DesiredResource head, DesiredResource @base, JsonObject live, JsonPatchDocument patch, IReadOnlyList<JsonPointer> ignore)
    {
        var kept = head.Secrets.Select(s => s.Pointer.Text).ToHashSet(StringComparer.Ordinal);
        var removes = new List<PatchOperation>();
        foreach (var secret in @base.Secrets)
        {
            var pointer = secret.Pointer;
            if (kept.Contains(pointer.Text) || ignore.Any(pointer.StartsWith) || pointer.TryResolve(live, out _)
                || !pointer.Parent.TryResolve(live, out var parent) || parent is not JsonObject
                || patch.Operations.Any(o => pointer.StartsWith(o.Path) || o.Path.StartsWith(pointer)))
            {
                continue;
            }

            removes.Add(PatchOperation.Remove(pointer));
        }

        return removes;
    }

    private static (bool Present, JsonNode? Value) Value(JsonPointer path, JsonNode document) =>
        path.TryResolve(document, out var value) ? (true, value) : (false, null);

    /// <summary>Absent equals absent, and JSON null, "", {} and [] equal absence, as in the two-way diff.</summary>
    private static bool Same((bool Present, JsonNode? Value) a, (bool Present, JsonNode? Value) b)
    {
        var aEmpty = !a.Present || PersonaShape.IsEmptyOrAbsent(a.Value);
        var bEmpty = !b.Present || PersonaShape.IsEmptyOrAbsent(b.Value);
        return aEmpty || bEmpty ? aEmpty && bEmpty : JsonEquality.DeepEquals(a.Value, b.Value);
    }
}
