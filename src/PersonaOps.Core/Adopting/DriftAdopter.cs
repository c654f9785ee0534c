using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Schema;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Adopting;

/// <summary>A difference adoption left for a person: the resource, the field (as a path in spec, or "the persona") and why.</summary>
public sealed record LeftField(string Address, string File, string Field, string Reason);

/// <summary>A manifest file rewritten: its display path, its new bytes, and the fields adopted in it (paths in spec).</summary>
public sealed record FileAdoption(string Path, ReadOnlyMemory<byte> Content, IReadOnlyList<string> Fields);

/// <summary>What <c>drift --adopt</c> does: the files to write and the differences it left, each with why.</summary>
public sealed record AdoptionReport(IReadOnlyList<FileAdoption> Files, IReadOnlyList<LeftField> Left)
{
    /// <summary>Every difference was adopted.</summary>
    public bool Complete => Left.Count == 0;
}

/// <summary>
/// Makes the manifests match live for every field a drift plan found different: for each update, each patch
/// operation's path takes the live value there (a field live lacks, or holds empty, is removed from the
/// manifest), written into the file's text in place by <see cref="ManifestEditor"/>. Left for a person, with
/// why: creates and deletes, secrets (never written), fields set through <c>${env:...}</c>, live values that
/// hold a secret known here, values written through an anchor or an alias. Every edit is checked by reading
/// the file again: it must read as the intended documents, else it is not made; a file that would not
/// validate is not written at all. Pure: the plan, the manifests, the live personas and the files' bytes in.
/// </summary>
public static class DriftAdopter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="holdsKnownSecret">True for a text that is, or holds, a secret known to this run (the API key, a secret variable's value).</param>
    public static AdoptionReport Adopt(Plan plan, IReadOnlyList<Manifest> manifests, IReadOnlyList<JsonObject> live, IReadOnlyList<SourceFile> files, Func<string, bool> holdsKnownSecret)
    {
        var left = new List<LeftField>();
        var edits = new Dictionary<string, List<(Manifest Manifest, string Field, DocumentEdit Edit)>>(StringComparer.Ordinal);
        foreach (var persona in plan.Personas)
        {
            var manifest = manifests.FirstOrDefault(m => m.Address == persona.Address);
            switch (persona.Action)
            {
                case PlanAction.NoOp:
                    continue;
                case PlanAction.Create:
                    left.Add(new LeftField(persona.Address, persona.File, "the persona", "no live persona matches it (the plan creates one), so there is nothing to adopt; create it with apply, or remove the manifest"));
                    continue;
                case PlanAction.Delete:
                    left.Add(new LeftField(persona.Address, persona.File, "the persona", "metadata.ensure is absent, and the persona exists live; delete it with apply, or remove metadata.ensure"));
                    continue;
            }

            var current = manifest is null ? null : live.FirstOrDefault(l => manifest.Kind.Identity.Id(l) == persona.LiveId);
            if (manifest is null || current is null)
            {
                left.Add(new LeftField(persona.Address, persona.File, "the persona", "the live persona the plan was made from is not at hand"));
                continue;
            }

            var schema = manifest.Kind.Schema;
            foreach (var operation in persona.Patch.Operations)
            {
                var path = operation.Path;
                var field = FieldPath.Display(path);
                var inLive = path.TryResolve(current, out var liveValue);
                // Empty live equals absent for a field of the schema (as the plan reads it); inside a free-form
                // value (extra_body, a tool's parameters) "" and {} are values like any other.
                var remove = operation.Op == PatchOp.Add || !inLive || (PersonaShape.IsEmptyOrAbsent(liveValue) && IsDeclared(path, schema));
                path.TryResolve(manifest.Spec, out var written);
                if (HoldsSecretField(path, liveValue, schema) || HoldsSecretField(path, written, schema))
                {
                    left.Add(new LeftField(persona.Address, manifest.File, field, "a secret: adoption never writes one; set the secret's variable, or change the manifest by hand"));
                    continue;
                }

                if (HoldsReference(written))
                {
                    left.Add(new LeftField(persona.Address, manifest.File, field, "set through ${env:...} in the manifest: change the variable, or the manifest by hand"));
                    continue;
                }

                if (!remove && HoldsText(liveValue, holdsKnownSecret))
                {
                    left.Add(new LeftField(persona.Address, manifest.File, field, "the live value holds a secret known here, which a manifest may only name with ${env:...}"));
                    continue;
                }

                if (!remove && HoldsCredentialedUrl(path, liveValue))
                {
                    left.Add(new LeftField(persona.Address, manifest.File, field, "the live URL carries credentials, which a manifest must not hold (PO3015); move them to a header in Tavus"));
                    continue;
                }

                if (!remove && schema.At(path) is { Compare: CompareMode.Set, SetKey: { } setKey } && liveValue is JsonArray liveItems && written is JsonArray writtenItems)
                {
                    liveValue = WithDescriptions(liveItems, writtenItems, setKey);
                }

                // A field metadata.ignore names keeps what the manifest says, even inside a value rewritten whole.
                if (manifest.Ignore.Any(path.StartsWith))
                {
                    left.Add(new LeftField(persona.Address, manifest.File, field, "metadata.ignore names it, and adoption leaves such fields alone"));
                    continue;
                }

                var ignored = manifest.Ignore.Where(i => i.StartsWith(path) && !i.Equals(path)).ToArray();
                if (remove && ignored.Any(i => i.TryResolve(manifest.Spec, out _)))
                {
                    left.Add(new LeftField(persona.Address, manifest.File, field, "it holds a field metadata.ignore names, which adoption leaves alone; change it by hand"));
                    continue;
                }

                if (!remove && ignored.Length > 0)
                {
                    liveValue = KeepIgnored(liveValue, path, ignored, manifest.Spec);
                }

                var documentPath = JsonPointer.FromTokens(["spec", .. path.Tokens]);
                var edit = remove ? DocumentEdit.Delete(documentPath) : DocumentEdit.Set(documentPath, OrderedLike(Literal(liveValue), written));
                (edits.TryGetValue(manifest.File, out var list) ? list : edits[manifest.File] = []).Add((manifest, field, edit));
            }
        }

        var written_ = new List<FileAdoption>();
        foreach (var (path, fileEdits) in edits)
        {
            var file = files.FirstOrDefault(f => f.Path == path);
            if (file is null)
            {
                left.AddRange(fileEdits.Select(e => new LeftField(e.Manifest.Address, path, e.Field, "the file was not read in this run")));
                continue;
            }

            if (AdoptFile(file, fileEdits, left) is { } adoption)
            {
                written_.Add(adoption);
            }
        }

        return new AdoptionReport(written_, left);
    }

    private static FileAdoption? AdoptFile(SourceFile file, List<(Manifest Manifest, string Field, DocumentEdit Edit)> edits, List<LeftField> left)
    {
        if (!TryDecode(file.Content.Span, out var text, out var preamble, out var encoding))
        {
            left.AddRange(edits.Select(e => new LeftField(e.Manifest.Address, file.Path, e.Field, "the file's text cannot be decoded")));
            return null;
        }

        var intended = Read(file.Path, text);
        if (intended is null)
        {
            left.AddRange(edits.Select(e => new LeftField(e.Manifest.Address, file.Path, e.Field, "the file does not read as YAML")));
            return null;
        }

        var adopted = new List<(Manifest Manifest, string Field)>();
        foreach (var (manifest, field, edit) in edits)
        {
            var next = ManifestEditor.Apply(text, manifest.DocumentIndex, edit, out var refusal);
            if (next is null)
            {
                left.Add(new LeftField(manifest.Address, file.Path, field, refusal ?? "it cannot be rewritten in place"));
                continue;
            }

            // Read back: the file must read as exactly the documents intended, this change made and no other.
            var expected = intended.Select(d => d?.DeepClone()).ToList();
            expected[manifest.DocumentIndex] = ApplyTo(expected[manifest.DocumentIndex], edit);
            var actual = Read(file.Path, next);
            if (actual is null || actual.Count != expected.Count || !actual.Zip(expected).All(p => JsonEquality.DeepEquals(p.First, p.Second)))
            {
                left.Add(new LeftField(manifest.Address, file.Path, field, "rewriting it in place would change how the file reads; change it by hand"));
                continue;
            }

            // And still be a valid manifest: a live value the schema refuses stays out of Git.
            var validation = ManifestValidator.Validate([new SourceFile(file.Path, Encode(next, preamble, encoding))]);
            if (validation.HasErrors)
            {
                var first = validation.Diagnostics.First(d => d.IsError);
                left.Add(new LeftField(manifest.Address, file.Path, field, $"the live value would make the manifest invalid ({first.Code}: {first.Message})"));
                continue;
            }

            text = next;
            intended = expected;
            adopted.Add((manifest, field));
        }

        if (adopted.Count == 0)
        {
            return null;
        }

        // The file as it will be written, checked whole once more: it reads as every intended document and
        // validates, or nothing is written to it.
        var bytes = Encode(text, preamble, encoding);
        var final = TryDecode(bytes, out var decoded, out _, out _) ? Read(file.Path, decoded) : null;
        if (final is null || final.Count != intended.Count || !final.Zip(intended).All(p => JsonEquality.DeepEquals(p.First, p.Second))
            || ManifestValidator.Validate([new SourceFile(file.Path, bytes)]).HasErrors)
        {
            left.AddRange(adopted.Select(a => new LeftField(a.Manifest.Address, file.Path, a.Field, "the rewritten file would not read as intended; nothing was written to it")));
            return null;
        }

        return new FileAdoption(file.Path, bytes, adopted.Select(a => a.Field).ToArray());
    }

    private static byte[] Encode(string text, byte[] preamble, Encoding encoding) => [.. preamble, .. encoding.GetBytes(text)];


    /// <summary>The documents of a text as JSON, or null when it does not read.</summary>
    private static List<JsonNode?>? Read(string path, string text)
    {
        var diagnostics = new List<Diagnostic>();
        var documents = YamlDocumentReader.Read(path, text, diagnostics);
        return diagnostics.Any(d => d.IsError) ? null : documents.Select(d => d.Root).ToList();
    }

    /// <summary>
    /// The edit on a document's JSON, as <see cref="ManifestEditor"/> makes it in text: missing (or null)
    /// parents become mappings; a removal that empties a mapping below spec removes the mapping too.
    /// </summary>
    internal static JsonNode? ApplyTo(JsonNode? document, DocumentEdit edit)
    {
        var tokens = edit.Path.Tokens;
        if (edit.Remove)
        {
            var depth = tokens.Count;
            while (depth > 0)
            {
                if (!JsonPointer.FromTokens(tokens.Take(depth - 1)).TryResolve(document, out var parent) || parent is not JsonObject obj || !obj.ContainsKey(tokens[depth - 1]))
                {
                    return document;
                }

                if (obj.Count == 1 && depth - 1 > 1)
                {
                    depth--;
                    continue;
                }

                obj.Remove(tokens[depth - 1]);
                return document;
            }

            return document;
        }

        if (ParentOf(document, tokens) is { } current)
        {
            current[tokens[^1]] = edit.Value?.DeepClone();
        }

        return document;
    }

    /// <summary>
    /// <paramref name="value"/> with its members in the order the manifest wrote them (<paramref name="written"/>),
    /// members the manifest lacks after them in live's order, at every depth (list items by position).
    /// </summary>
    private static JsonNode? OrderedLike(JsonNode? value, JsonNode? written)
    {
        switch (value)
        {
            case JsonObject obj:
                var before = written as JsonObject;
                var ordered = new JsonObject();
                foreach (var (key, child) in before ?? [])
                {
                    if (obj.TryGetPropertyValue(key, out var v))
                    {
                        ordered[key] = OrderedLike(v, child);
                    }
                }

                foreach (var (key, child) in obj)
                {
                    if (!ordered.ContainsKey(key))
                    {
                        ordered[key] = OrderedLike(child, null);
                    }
                }

                return ordered;
            case JsonArray array:
                var items = written as JsonArray;
                return new JsonArray(array.Select((item, i) => OrderedLike(item, items is not null && i < items.Count ? items[i] : null)).ToArray());
            default:
                return value?.DeepClone();
        }
    }

    /// <summary>A live value as manifest text must hold it: a literal "${" is written "$${".</summary>
    private static JsonNode? Literal(JsonNode? value) => value switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Literal(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Literal).ToArray()),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Contains("${", StringComparison.Ordinal)
            => JsonValue.Create(v.GetValue<string>().Replace("${", "$${", StringComparison.Ordinal)),
        _ => value?.DeepClone(),
    };

    private static bool HoldsSecretField(JsonPointer at, JsonNode? value, KindSchema schema)
    {
        if (schema.At(at)?.IsWriteOnly == true)
        {
            return true;
        }

        // The walk every reference rule uses (a header's value is a secret): over the value, placed at its path.
        JsonNode? placed = value?.DeepClone();
        for (var i = at.Tokens.Count - 1; i >= 0; i--)
        {
            placed = new JsonObject { [at.Tokens[i]] = placed };
        }

        var secret = false;
        SpecStrings.Walk(placed, (_, _, isSecret) =>
        {
            secret |= isSecret;
            return null;
        }, schema.Spec);
        if (secret)
        {
            return true;
        }

        return value switch
        {
            JsonObject obj => obj.Any(p => HoldsSecretField(at.Append(p.Key), p.Value, schema)),
            JsonArray array => array.Select((item, i) => HoldsSecretField(at.Append(i), item, schema)).Any(x => x),
            _ => false,
        };
    }

    /// <summary>The live value at <paramref name="at"/> with each ignored field under it as the manifest has it (or without it).</summary>
    private static JsonNode? KeepIgnored(JsonNode? value, JsonPointer at, IReadOnlyList<JsonPointer> ignored, JsonObject? spec)
    {
        var copy = value?.DeepClone();
        foreach (var pointer in ignored)
        {
            var tokens = pointer.Tokens.Skip(at.Tokens.Count).ToArray();
            if (ParentOf(copy, tokens) is { } target)
            {
                if (pointer.TryResolve(spec, out var kept))
                {
                    target[tokens[^1]] = kept?.DeepClone();
                }
                else
                {
                    target.Remove(tokens[^1]);
                }
            }
        }

        return copy;
    }

    /// <summary>
    /// The object that holds the last of <paramref name="tokens"/> under <paramref name="root"/>, each missing
    /// (or non-object) object on the way made a new empty one; null when <paramref name="root"/> is no object.
    /// </summary>
    private static JsonObject? ParentOf(JsonNode? root, IReadOnlyList<string> tokens)
    {
        var current = root as JsonObject;
        for (var i = 0; i < tokens.Count - 1 && current is not null; i++)
        {
            if (current[tokens[i]] is not JsonObject child)
            {
                child = new JsonObject();
                current[tokens[i]] = child;
            }

            current = child;
        }

        return current;
    }

    /// <summary>Every token of the path names a member the schema declares (no free-form value on the way).</summary>
    private static bool IsDeclared(JsonPointer path, KindSchema schema)
    {
        var field = schema.Spec;
        foreach (var token in path.Tokens)
        {
            if (field.Member(token) is not { } member)
            {
                return false;
            }

            field = member;
        }

        return true;
    }

    private static bool HoldsCredentialedUrl(JsonPointer at, JsonNode? value)
    {
        JsonNode? placed = value?.DeepClone();
        for (var i = at.Tokens.Count - 1; i >= 0; i--)
        {
            placed = new JsonObject { [at.Tokens[i]] = placed };
        }

        var found = false;
        SpecStrings.Walk(placed, (pointer, text, _) =>
        {
            found |= UrlCredentials.IsUrlField(pointer.LastToken) && UrlCredentials.Find(text) is not null;
            return null;
        });
        return found;
    }

    /// <summary>
    /// Tavus does not return a tool's function.description: a live tool without one keeps the description
    /// the manifest's tool of the same key has, so adopting a changed list loses no text Git holds.
    /// </summary>
    private static JsonArray WithDescriptions(JsonArray live, JsonArray written, string setKey)
    {
        var key = JsonPointer.Parse(setKey);
        var result = new JsonArray();
        foreach (var item in live)
        {
            var copy = item?.DeepClone();
            if (copy is JsonObject obj && obj["function"] is JsonObject function && !function.ContainsKey("description") && key.TryResolve(obj, out var id))
            {
                var match = written.OfType<JsonObject>().FirstOrDefault(w => key.TryResolve(w, out var k) && JsonEquality.DeepEquals(k, id));
                if (match?["function"]?["description"] is { } description)
                {
                    function["description"] = description.DeepClone();
                }
            }

            result.Add(copy);
        }

        return result;
    }

    private static bool HoldsReference(JsonNode? value) => HoldsText(value, text =>
        EnvReference.TryParse(text, out var parts, out _) ? parts.Any(p => p.IsReference) : text.Contains("${", StringComparison.Ordinal));

    private static bool HoldsText(JsonNode? value, Func<string, bool> predicate) => value switch
    {
        JsonObject obj => obj.Any(p => predicate(p.Key) || HoldsText(p.Value, predicate)),
        JsonArray array => array.Any(item => HoldsText(item, predicate)),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => predicate(v.GetValue<string>()),
        _ => false,
    };

    /// <summary>The file's text as the reader sees it, with the byte order mark and encoding to write it back in.</summary>
    private static bool TryDecode(ReadOnlySpan<byte> bytes, out string text, out byte[] preamble, out Encoding encoding)
    {
        text = "";
        preamble = [];
        encoding = StrictUtf8;
        try
        {
            if (bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF)))
            {
                encoding = new UnicodeEncoding(bigEndian: bytes[0] == 0xFE, byteOrderMark: false, throwOnInvalidBytes: true);
                preamble = bytes[..2].ToArray();
                text = encoding.GetString(bytes[2..]);
                return true;
            }

            if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
            {
                preamble = bytes[..3].ToArray();
                bytes = bytes[3..];
            }

            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
