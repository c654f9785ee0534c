using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Importing;

/// <summary>One live persona written as a manifest.</summary>
/// <param name="Name">The manifest's metadata.name, also its file name.</param>
/// <param name="Yaml">The manifest's text.</param>
/// <param name="Variables">The environment variables its secret references name (values are never written).</param>
/// <param name="Notes">What was left out, and why.</param>
public sealed record ImportedManifest(string Name, string PersonaId, string Yaml, IReadOnlyList<string> Variables, IReadOnlyList<string> Notes);

/// <summary>
/// Turns live personas into manifests that plan back to "No changes": metadata.id pinned; server-owned
/// fields, fields equal to their defaults, empty values and fields unknown to the schema left out; every
/// secret replaced by a <c>${env:NAME}</c> reference; literal <c>${</c> in text escaped as <c>$${</c>.
/// Pure: JSON in, YAML text out.
/// </summary>
public static class Importer
{
    public static IReadOnlyList<ImportedManifest> Import(IReadOnlyList<JsonObject> personas, KindSchema? schema = null)
    {
        schema ??= KindSchema.Persona;
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var variablesTaken = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<ImportedManifest>();
        foreach (var persona in personas)
        {
            if (Refusal(persona) is { } refused)
            {
                throw new ArgumentException(refused, nameof(personas));
            }

            var id = Kinds.PersonaKind.Identity.Id(persona) ?? throw new ArgumentException("a persona without persona_id cannot be imported", nameof(personas));
            var name = UniqueSlug(Kinds.PersonaKind.Identity.Name(persona) ?? id, taken);
            result.Add(ImportOne(persona, id, name, schema, variablesTaken));
        }

        return result;
    }

    /// <summary>
    /// Why <paramref name="persona"/> cannot be imported, or null when it can: a system (stock) persona
    /// belongs to Tavus, not to the account, and cannot be changed, so a manifest of it could never apply.
    /// </summary>
    public static string? Refusal(JsonObject persona)
    {
        var id = Kinds.PersonaKind.Identity.Id(persona) ?? "(no id)";
        if (Manifests.SpecStrings.Of(persona["persona_type"]) == "system")
        {
            return $"persona {id} is a stock persona of Tavus (persona_type: system): it belongs to Tavus, not to this account, and cannot be changed, so it cannot be managed by a manifest. Create your own persona from it instead.";
        }

        // JSON can carry half of a UTF-16 pair ("\ud800"); no UTF-8 file can, so the text cannot be written
        // as it is, and writing anything else would change the persona on the next apply.
        return NotUnicode(persona, JsonPointer.Root) is { } at
            ? $"persona {id} holds text that is not valid Unicode at {(at.IsRoot ? "its root" : Validation.FieldPath.Display(at))} (a lone surrogate, half of a character), which no manifest file can hold; correct it in Tavus, then import again."
            : null;
    }

    /// <summary>The first member name or string value holding a lone surrogate, or null.</summary>
    private static JsonPointer? NotUnicode(JsonNode? node, JsonPointer at)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (HasLoneSurrogate(key))
                    {
                        return at.Append(key);
                    }

                    if (NotUnicode(value, at.Append(key)) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (NotUnicode(array[i], at.Append(i)) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return Manifests.SpecStrings.Of(node) is { } text && HasLoneSurrogate(text) ? at : null;
        }
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static ImportedManifest ImportOne(JsonObject persona, string id, string name, KindSchema schema, HashSet<string> variablesTaken)
    {
        var notes = new List<string>();
        var spec = Known(persona, schema.Spec, JsonPointer.Root, notes) ?? new JsonObject();
        spec = PersonaShape.WithoutServerFields(PersonaShape.WithoutDefaults(spec, schema), schema);
        DropEmpty(spec, schema.Spec);
        DropCredentialedUrls(spec, schema, notes);

        // One walk: every secret becomes a reference; any other text that holds "${" must stay literal, and in
        // a manifest "$${" is a literal "${".
        var variables = new List<string>();
        // A variable name may not start with a digit (a persona named "2024").
        var prefix = name.ToUpperInvariant().Replace('-', '_');
        prefix = char.IsAsciiDigit(prefix[0]) ? "PERSONA_" + prefix : prefix;
        Manifests.SpecStrings.Walk(spec, (pointer, text, isSecret) =>
        {
            if (isSecret)
            {
                // Header names that differ only in case or punctuation (X-Api-Key, x_api_key) suggest one
                // name, as can two manifests' prefixes and suffixes: each secret gets its own variable.
                var suggested = $"{prefix}_{Manifests.EnvReference.SuggestVariable(pointer)}";
                var variable = suggested;
                for (var i = 2; !variablesTaken.Add(variable); i++)
                {
                    variable = $"{suggested}_{i}";
                }

                variables.Add(variable);
                return $"${{env:{variable}}}";
            }

            return text.Contains("${", StringComparison.Ordinal) ? text.Replace("${", "$${", StringComparison.Ordinal) : null;
        }, schema.Spec);

        var document = new JsonObject
        {
            ["apiVersion"] = "personaops/v1",
            ["kind"] = "Persona",
            ["metadata"] = new JsonObject { ["name"] = name, ["id"] = id },
            ["spec"] = spec,
        };
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Imported from Tavus persona {Comment(id)} by personaops import.\n");
        if (variables.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"# Secrets are read from the environment: {string.Join(", ", variables)}.\n");
        }

        text.Append(ManifestYamlWriter.Write(document));
        return new ImportedManifest(name, id, text.ToString(), variables, notes);
    }

    /// <summary>
    /// A URL field that carries credentials (<c>user:password@</c>, <c>?api_key=</c>) is left out and noted: a
    /// manifest in Git must not hold them, and validation refuses them (PO3015). The note names the kind of
    /// credential, never its value.
    /// </summary>
    private static void DropCredentialedUrls(JsonObject spec, KindSchema schema, List<string> notes)
    {
        var dropped = new List<(JsonPointer Pointer, string Credential)>();
        Manifests.SpecStrings.Walk(spec, (pointer, text, isSecret) =>
        {
            if (!isSecret && Manifests.UrlCredentials.IsUrlField(pointer.LastToken) && Manifests.UrlCredentials.Find(text) is { } credential)
            {
                dropped.Add((pointer, credential));
            }

            return null;
        }, schema.Spec);
        foreach (var (pointer, credential) in dropped)
        {
            if (pointer.Parent.TryResolve(spec, out var parent) && parent is JsonObject obj)
            {
                obj.Remove(pointer.LastToken);
                var field = Validation.FieldPath.Display(pointer);
                notes.Add($"{field} left out: it carries credentials ({credential}), which a manifest must not hold. In Tavus, move the credential to a header (layers.llm.headers) and give {field} without it, then import again; until then plan shows {field} removed.");
            }
        }
    }

    /// <summary>The slug of a persona name that no other manifest has: lowercase letters, digits and '-'.</summary>
    public static string UniqueSlug(string text, ISet<string> taken)
    {
        var slug = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(char.ToLowerInvariant(c));
            }
            else if (Folds.TryGetValue(c, out var folded))
            {
                slug.Append(folded);
            }
            else if (slug.Length > 0 && slug[^1] != '-' && (char.IsWhiteSpace(c) || c is '-' or '_' or '.' or '/'))
            {
                slug.Append('-');
            }
        }

        var baseName = slug.ToString().Trim('-');
        baseName = baseName.Length == 0 ? "persona" : baseName[..Math.Min(baseName.Length, 56)].TrimEnd('-');
        var candidate = baseName;
        for (var i = 2; !taken.Add(candidate); i++)
        {
            candidate = $"{baseName}-{i}";
        }

        return candidate;
    }

    // Latin letters with accents folded to ASCII (U+00C0 to U+017F): the runtime runs with invariant
    // globalization, whose string.Normalize does not decompose them.
    private static readonly Dictionary<char, string> Folds = new()
    {
        ['À'] = "a", ['Á'] = "a", ['Â'] = "a", ['Ã'] = "a", ['Ä'] = "a", ['Å'] = "a", ['Æ'] = "ae", ['Ç'] = "c",
        ['È'] = "e", ['É'] = "e", ['Ê'] = "e", ['Ë'] = "e", ['Ì'] = "i", ['Í'] = "i", ['Î'] = "i", ['Ï'] = "i",
        ['Ð'] = "d", ['Ñ'] = "n", ['Ò'] = "o", ['Ó'] = "o", ['Ô'] = "o", ['Õ'] = "o", ['Ö'] = "o", ['Ø'] = "o",
        ['Ù'] = "u", ['Ú'] = "u", ['Û'] = "u", ['Ü'] = "u", ['Ý'] = "y", ['Þ'] = "th", ['ß'] = "ss", ['à'] = "a",
        ['á'] = "a", ['â'] = "a", ['ã'] = "a", ['ä'] = "a", ['å'] = "a", ['æ'] = "ae", ['ç'] = "c", ['è'] = "e",
        ['é'] = "e", ['ê'] = "e", ['ë'] = "e", ['ì'] = "i", ['í'] = "i", ['î'] = "i", ['ï'] = "i", ['ð'] = "d",
        ['ñ'] = "n", ['ò'] = "o", ['ó'] = "o", ['ô'] = "o", ['õ'] = "o", ['ö'] = "o", ['ø'] = "o", ['ù'] = "u",
        ['ú'] = "u", ['û'] = "u", ['ü'] = "u", ['ý'] = "y", ['þ'] = "th", ['ÿ'] = "y", ['Ā'] = "a", ['ā'] = "a",
        ['Ă'] = "a", ['ă'] = "a", ['Ą'] = "a", ['ą'] = "a", ['Ć'] = "c", ['ć'] = "c", ['Ĉ'] = "c", ['ĉ'] = "c",
        ['Ċ'] = "c", ['ċ'] = "c", ['Č'] = "c", ['č'] = "c", ['Ď'] = "d", ['ď'] = "d", ['Đ'] = "d", ['đ'] = "d",
        ['Ē'] = "e", ['ē'] = "e", ['Ĕ'] = "e", ['ĕ'] = "e", ['Ė'] = "e", ['ė'] = "e", ['Ę'] = "e", ['ę'] = "e",
        ['Ě'] = "e", ['ě'] = "e", ['Ĝ'] = "g", ['ĝ'] = "g", ['Ğ'] = "g", ['ğ'] = "g", ['Ġ'] = "g", ['ġ'] = "g",
        ['Ģ'] = "g", ['ģ'] = "g", ['Ĥ'] = "h", ['ĥ'] = "h", ['Ħ'] = "h", ['ħ'] = "h", ['Ĩ'] = "i", ['ĩ'] = "i",
        ['Ī'] = "i", ['ī'] = "i", ['Ĭ'] = "i", ['ĭ'] = "i", ['Į'] = "i", ['į'] = "i", ['İ'] = "i", ['ı'] = "i",
        ['Ĳ'] = "ij", ['ĳ'] = "ij", ['Ĵ'] = "j", ['ĵ'] = "j", ['Ķ'] = "k", ['ķ'] = "k", ['ĸ'] = "k", ['Ĺ'] = "l",
        ['ĺ'] = "l", ['Ļ'] = "l", ['ļ'] = "l", ['Ľ'] = "l", ['ľ'] = "l", ['Ŀ'] = "l", ['ŀ'] = "l", ['Ł'] = "l",
        ['ł'] = "l", ['Ń'] = "n", ['ń'] = "n", ['Ņ'] = "n", ['ņ'] = "n", ['Ň'] = "n", ['ň'] = "n", ['ŉ'] = "n",
        ['Ŋ'] = "n", ['ŋ'] = "n", ['Ō'] = "o", ['ō'] = "o", ['Ŏ'] = "o", ['ŏ'] = "o", ['Ő'] = "o", ['ő'] = "o",
        ['Œ'] = "oe", ['œ'] = "oe", ['Ŕ'] = "r", ['ŕ'] = "r", ['Ŗ'] = "r", ['ŗ'] = "r", ['Ř'] = "r", ['ř'] = "r",
        ['Ś'] = "s", ['ś'] = "s", ['Ŝ'] = "s", ['ŝ'] = "s", ['Ş'] = "s", ['ş'] = "s", ['Š'] = "s", ['š'] = "s",
        ['Ţ'] = "t", ['ţ'] = "t", ['Ť'] = "t", ['ť'] = "t", ['Ŧ'] = "t", ['ŧ'] = "t", ['Ũ'] = "u", ['ũ'] = "u",
        ['Ū'] = "u", ['ū'] = "u", ['Ŭ'] = "u", ['ŭ'] = "u", ['Ů'] = "u", ['ů'] = "u", ['Ű'] = "u", ['ű'] = "u",
        ['Ų'] = "u", ['ų'] = "u", ['Ŵ'] = "w", ['ŵ'] = "w", ['Ŷ'] = "y", ['ŷ'] = "y", ['Ÿ'] = "y", ['Ź'] = "z",
        ['ź'] = "z", ['Ż'] = "z", ['ż'] = "z", ['Ž'] = "z", ['ž'] = "z", ['ſ'] = "s",
    };

    /// <summary>A copy with only the members the schema knows; the rest noted.</summary>
    private static JsonObject? Known(JsonObject obj, SchemaField field, JsonPointer at, List<string> notes)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            var member = field.Member(key);
            var pointer = at.Append(key);
            if (member is null)
            {
                notes.Add($"{Validation.FieldPath.Display(pointer)} left out: PersonaOps's schema does not know it, and plan leaves it alone.");
                continue;
            }

            copy[key] = value is JsonObject child && member.PropertyCount > 0 ? Known(child, member, pointer, notes) : value?.DeepClone();
        }

        return copy;
    }

    /// <summary>
    /// Removes the values plan treats as absent (<see cref="PersonaShape.IsEmptyOrAbsent"/>), innermost first,
    /// inside the objects plan compares member by member only: a free-form object (extra_body, a tool's
    /// parameters, default_query) is compared whole, so its nulls and empty values are kept as they are.
    /// </summary>
    private static bool DropEmpty(JsonNode? node, SchemaField? field)
    {
        if (node is JsonObject obj && field is { IsStructured: true })
        {
            foreach (var (key, value) in obj.ToArray())
            {
                if (DropEmpty(value, field.Member(key)))
                {
                    obj.Remove(key);
                }
            }
        }

        return PersonaShape.IsEmptyOrAbsent(node);
    }

    /// <summary>An id as a comment shows it: on one line, whatever the server sent.</summary>
    private static string Comment(string id) => ManifestYamlWriter.DoubleQuoted(id) is var quoted && quoted[1..^1] == id ? id : quoted;
}
