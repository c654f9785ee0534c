using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

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
        var result = new List<ImportedManifest>();
        foreach (var persona in personas)
        {
            var id = Kinds.PersonaKind.Identity.Id(persona) ?? throw new ArgumentException("a persona without persona_id cannot be imported", nameof(personas));
            var name = UniqueSlug(Kinds.PersonaKind.Identity.Name(persona) ?? id, taken);
            result.Add(ImportOne(persona, id, name, schema));
        }

        return result;
    }

    private static ImportedManifest ImportOne(JsonObject persona, string id, string name, KindSchema schema)
    {
        var notes = new List<string>();
        var spec = Known(persona, schema.Spec, JsonPointer.Root, notes) ?? new JsonObject();
        spec = PersonaShape.WithoutServerFields(PersonaShape.WithoutDefaults(spec, schema), schema);
        DropEmpty(spec);
        DropCredentialedUrls(spec, schema, notes);

        // One walk: every secret becomes a reference; any other text that holds "${" must stay literal, and in
        // a manifest "$${" is a literal "${".
        var variables = new List<string>();
        var prefix = name.ToUpperInvariant().Replace('-', '_');
        Manifests.SpecStrings.Walk(spec, (pointer, text, isSecret) =>
        {
            if (isSecret)
            {
                var variable = $"{prefix}_{Manifests.EnvReference.SuggestVariable(pointer)}";
                variables.Add(variable);
                return $"${{env:{variable}}}";
            }

            return text.Contains("${", StringComparison.Ordinal) ? text.Replace("${", "$${", StringComparison.Ordinal) : null;
        }, schema.Spec);

        var document = new YamlMappingNode
        {
            { "apiVersion", "personaops/v1" },
            { "kind", "Persona" },
            { "metadata", new YamlMappingNode { { "name", name }, { "id", id } } },
            { "spec", ToYaml(spec) },
        };
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Imported from Tavus persona {id} by personaops import.\n");
        if (variables.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"# Secrets are read from the environment: {string.Join(", ", variables)}.\n");
        }

        using (var writer = new StringWriter(CultureInfo.InvariantCulture))
        {
            new YamlStream(new YamlDocument(document)).Save(writer, assignAnchors: false);
            var yaml = writer.ToString().ReplaceLineEndings("\n");
            yaml = yaml.EndsWith("...\n", StringComparison.Ordinal) ? yaml[..^4] : yaml;
            text.Append(yaml.TrimEnd('\n')).Append('\n');
        }

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

    /// <summary>Removes the values plan treats as absent (<see cref="PersonaShape.IsEmptyOrAbsent"/>), innermost first.</summary>
    private static bool DropEmpty(JsonNode? node)
    {
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj.ToArray())
            {
                if (DropEmpty(value))
                {
                    obj.Remove(key);
                }
            }
        }

        return PersonaShape.IsEmptyOrAbsent(node);
    }

    private static YamlNode ToYaml(JsonNode? node) => node switch
    {
        JsonObject obj => new YamlMappingNode(obj.Select(p => new KeyValuePair<YamlNode, YamlNode>(Scalar(p.Key), ToYaml(p.Value)))),
        JsonArray array => array.All(i => i is JsonValue) && array.Count <= 8
            ? new YamlSequenceNode(array.Select(ToYaml)) { Style = YamlDotNet.Core.Events.SequenceStyle.Flow }
            : new YamlSequenceNode(array.Select(ToYaml)),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => Scalar(value.GetValue<string>()),
            JsonValueKind.True => new YamlScalarNode("true") { Style = ScalarStyle.Plain },
            JsonValueKind.False => new YamlScalarNode("false") { Style = ScalarStyle.Plain },
            JsonValueKind.Number => new YamlScalarNode(value.ToJsonString()) { Style = ScalarStyle.Plain },
            _ => new YamlScalarNode("null") { Style = ScalarStyle.Plain },
        },
        _ => new YamlScalarNode("null") { Style = ScalarStyle.Plain },
    };

    /// <summary>
    /// A string scalar that reads back as the same string: multi-line text as a literal block, text a YAML
    /// reader would take for a number, boolean or null double-quoted, the rest as the emitter sees fit.
    /// </summary>
    private static YamlScalarNode Scalar(string text)
    {
        var lines = text.Split('\n');
        var literal = lines.Length > 1
            && !text.Contains('\r', StringComparison.Ordinal) && !text.Contains('\t', StringComparison.Ordinal)
            && lines.All(l => l.Length == 0 || l[^1] != ' ')
            && (lines[0].Length == 0 || lines[0][0] != ' ');
        if (literal)
        {
            return new YamlScalarNode(text) { Style = ScalarStyle.Literal };
        }

        return new YamlScalarNode(text) { Style = LooksTyped(text) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any };
    }

    private static bool LooksTyped(string text) =>
        text.Length == 0
        || text is "~" or "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
        || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
        || text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.StartsWith("0o", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith(".inf", StringComparison.OrdinalIgnoreCase) || text.StartsWith("-.inf", StringComparison.OrdinalIgnoreCase) || text.StartsWith(".nan", StringComparison.OrdinalIgnoreCase);
}
