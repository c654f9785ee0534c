using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Kinds;

/// <summary>
/// One field known by two names: <see cref="Field"/>, the name PersonaOps uses (Tavus's legacy name, the
/// one the schema and the manifests use), and <see cref="Alias"/>, the name Tavus may answer with instead
/// (its PAL-era name). Both are JSON Pointers into the resource, so a nested field can be aliased too.
/// </summary>
public sealed record FieldAlias(JsonPointer Field, JsonPointer Alias)
{
    public FieldAlias(string field, string alias)
        : this(JsonPointer.Parse(field), JsonPointer.Parse(alias))
    {
        if (Field.IsRoot || Alias.IsRoot || !Field.Parent.Equals(Alias.Parent))
        {
            throw new ArgumentException($"an alias names the same field in the same object: {field} and {alias}");
        }
    }
}

/// <summary>
/// A resource that Tavus answered with two names of one field holding different values: which one is right
/// cannot be told, so nothing is planned from it.
/// </summary>
public sealed record AliasConflict(string? Id, JsonPointer Field, JsonPointer Alias, JsonNode? FieldValue, JsonNode? AliasValue)
{
    /// <summary>A sentence for the user; the values shown are ids, names, types and enum values, never secrets.</summary>
    public string Describe(string kind) =>
        $"{kind} {Id ?? "(no id)"} came back with both {Show(Field)} ({FieldValue?.ToJsonString()}) and {Show(Alias)} ({AliasValue?.ToJsonString()}), which disagree; "
        + "they are two names of one field, so PersonaOps cannot tell which is right";

    private static string Show(JsonPointer pointer) => Validation.FieldPath.Display(pointer);
}

/// <summary>
/// How a resource kind is identified and named, as data: its id field, its name field, and every field
/// Tavus may spell another way (the PAL-era aliases). The edge (the API client) maps each answer to the one
/// vocabulary with <see cref="Normalize"/>, so everything after it reads ids and names with
/// <see cref="Id"/> and <see cref="Name"/> only. The first piece of a kind descriptor.
/// </summary>
public sealed class KindIdentity
{
    public KindIdentity(string kind, string idField, string nameField, IReadOnlyList<FieldAlias> aliases)
    {
        Kind = kind;
        IdField = idField;
        NameField = nameField;
        Aliases = aliases;
        if (aliases.Select(a => a.Field).Concat(aliases.Select(a => a.Alias)).GroupBy(p => p.Text).Any(g => g.Count() > 1))
        {
            throw new ArgumentException("every field and alias appears once in an alias table", nameof(aliases));
        }
    }

    /// <summary>The kind's name, as users read it ("persona").</summary>
    public string Kind { get; }

    /// <summary>The top-level field that holds the server's id (<c>persona_id</c>).</summary>
    public string IdField { get; }

    /// <summary>The top-level field that holds the display name (<c>persona_name</c>).</summary>
    public string NameField { get; }

    public IReadOnlyList<FieldAlias> Aliases { get; }

    /// <summary>The id of a normalised resource, or null when it has none (or not as a string).</summary>
    public string? Id(JsonNode? resource) => Text(resource, IdField);

    /// <summary>The name of a normalised resource, or null.</summary>
    public string? Name(JsonNode? resource) => Text(resource, NameField);

    /// <summary>
    /// <paramref name="resource"/> in PersonaOps's vocabulary: each alias renamed to its field. When both
    /// names are present, equal values are kept once, a null on one side gives way to the other, and values
    /// that disagree are a conflict (returned, never guessed; <paramref name="normalized"/> is then null).
    /// A resource without aliases is returned as it is (most are, and listings hold thousands); one with
    /// aliases is copied, so the input is never changed.
    /// </summary>
    public bool TryNormalize(JsonObject resource, out JsonObject? normalized, out AliasConflict? conflict)
    {
        conflict = null;
        if (!Aliases.Any(a => a.Alias.Parent.TryResolve(resource, out var p) && p is JsonObject o && o.ContainsKey(a.Alias.LastToken)))
        {
            normalized = resource;
            return true;
        }

        var copy = resource.DeepClone().AsObject();
        foreach (var alias in Aliases)
        {
            if (!alias.Alias.Parent.TryResolve(copy, out var parentNode) || parentNode is not JsonObject parent
                || !parent.TryGetPropertyValue(alias.Alias.LastToken, out var aliasValue))
            {
                continue;
            }

            parent.Remove(alias.Alias.LastToken);
            if (!parent.TryGetPropertyValue(alias.Field.LastToken, out var fieldValue) || fieldValue is null)
            {
                parent[alias.Field.LastToken] = aliasValue;
            }
            else if (aliasValue is not null && !JsonEquality.DeepEquals(fieldValue, aliasValue))
            {
                var id = Text(resource, IdField) ?? Aliases.Where(a => a.Field.Text == "/" + IdField).Select(a => Text(resource, a.Alias.LastToken)).FirstOrDefault(i => i is not null);
                normalized = null;
                conflict = new AliasConflict(id, alias.Field, alias.Alias, fieldValue.DeepClone(), aliasValue.DeepClone());
                return false;
            }
        }

        normalized = copy;
        return true;
    }

    /// <summary><see cref="TryNormalize"/>, throwing <see cref="AliasConflictException"/> on a conflict.</summary>
    public JsonObject Normalize(JsonObject resource) =>
        TryNormalize(resource, out var normalized, out var conflict) ? normalized! : throw new AliasConflictException(conflict!.Describe(Kind), conflict);

    /// <summary>
    /// The reverse of <see cref="Normalize"/>: a copy with every aliased field renamed to its alias, as an
    /// account of the PAL era answers. For the sandbox and tests; <paramref name="keepBoth"/> writes both names.
    /// </summary>
    public JsonObject WithAliases(JsonObject resource, bool keepBoth = false)
    {
        var copy = resource.DeepClone().AsObject();
        foreach (var alias in Aliases)
        {
            if (alias.Field.Parent.TryResolve(copy, out var parentNode) && parentNode is JsonObject parent
                && parent.TryGetPropertyValue(alias.Field.LastToken, out var value))
            {
                if (!keepBoth)
                {
                    parent.Remove(alias.Field.LastToken);
                }

                parent[alias.Alias.LastToken] = value?.DeepClone();
            }
        }

        return copy;
    }

    private static string? Text(JsonNode? resource, string field) =>
        resource is JsonObject obj && obj[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>A resource whose two names of one field disagree (see <see cref="KindIdentity.TryNormalize"/>).</summary>
public sealed class AliasConflictException(string message, AliasConflict conflict) : Exception(message)
{
    public AliasConflict Conflict { get; } = conflict;
}
