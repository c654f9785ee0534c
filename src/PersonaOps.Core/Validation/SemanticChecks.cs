using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Validation;

/// <summary>
/// The checks JSON Schema cannot express (or NJsonSchema would skip), driven by the schema's
/// annotations where they concern fields: secrets, server-owned fields, deprecations, documented limits.
/// </summary>
internal static class SemanticChecks
{
    /// <summary>Checks of one document. Runs on any document, valid against the schema or not, and guards every type.</summary>
    public static void CheckDocument(string file, JsonObject document, SourceMap map, ResourceKind kind, List<Diagnostic> diagnostics)
    {
        var metadata = document["metadata"] as JsonObject;
        var ensure = SpecStrings.Of(metadata?["ensure"]) == "absent" ? Ensure.Absent : Ensure.Present;
        var spec = document["spec"] as JsonObject;
        var nameField = kind.Identity.NameField;
        var which = $"a manifest with ensure: absent must say which {kind.Name} to delete: set metadata.id, or spec.{nameField}.";

        if (document.ContainsKey("metadata") && metadata is not null)
        {
            if (!document.ContainsKey("spec"))
            {
                if (ensure == Ensure.Present)
                {
                    diagnostics.Add(DiagnosticCatalog.SpecRequired.At(file, map.ValueAt(""),
                        $"'spec' is required: it holds the Tavus {kind.Name} body ({string.Join(", ", kind.Schema.Spec.PropertyNames.Where(n => kind.Schema.Spec.Member(n)?.IsReadOnly != true).Take(3))}, ...). Only a manifest with metadata.ensure: absent may leave it out."));
                }
                else if (metadata["id"] is null)
                {
                    diagnostics.Add(DiagnosticCatalog.SpecRequired.At(file, map.ValueAt("/metadata"), which));
                }
            }
            else if (ensure == Ensure.Absent && spec is not null && metadata["id"] is null && spec[nameField] is null)
            {
                diagnostics.Add(DiagnosticCatalog.SpecRequired.At(file, map.ValueAt("/spec"), which));
            }
        }

        if (spec is not null && ensure == Ensure.Present)
        {
            // Without an id or a name, nothing can match it live: every apply (and every replay of its saved
            // plan) would create another one.
            if (metadata is not null && metadata["id"] is null && spec[nameField] is null)
            {
                diagnostics.Add(DiagnosticCatalog.Unidentifiable.At(file, map.ValueAt("/spec"),
                    $"the manifest has neither metadata.id nor spec.{nameField}, so no live {kind.Name} can be matched to it and every apply would create another; set spec.{nameField} (or pin metadata.id)."));
            }

            kind.Rules?.Invoke(file, spec, map, diagnostics);
        }

        if (spec is not null)
        {
            CheckFields(file, spec, JsonPointer.Root.Append("spec"), kind.Schema.Spec, map, diagnostics);
        }

        CheckReferences(file, document, map, diagnostics);
    }

    /// <summary>Walks spec with its schema: server-owned fields, secrets, deprecations, documented limits.</summary>
    private static void CheckFields(string file, JsonNode? node, JsonPointer pointer, SchemaField field, SourceMap map, List<Diagnostic> diagnostics)
    {
        // Only a diagnostic needs the display path; most fields have none.
        string Where() => FieldPath.Display(pointer);

        if (field.IsReadOnly)
        {
            diagnostics.Add(DiagnosticCatalog.ServerOwnedField.At(file, map.KeyAt(pointer.Text),
                pointer.Text == "/spec/persona_id"
                    ? "spec.persona_id is set by Tavus; to bind this manifest to an existing persona, set metadata.id instead."
                    : $"{Where()} is set by Tavus and cannot be declared; remove it."));
            return;
        }

        if (field.Deprecation is { } deprecation)
        {
            var instead = deprecation.Replacement is { } r ? $" Use {r} instead." : "";
            var since = deprecation.Since is { } s ? $" (since {s})" : "";
            diagnostics.Add(DiagnosticCatalog.DeprecatedField.At(file, map.KeyAt(pointer.Text), $"{Where()} is deprecated{since}: {deprecation.Message}.{instead}"));
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (field.Member(key) is { } member)
                    {
                        CheckFields(file, value, pointer.Append(key), member, map, diagnostics);
                    }
                }

                break;

            case JsonArray array:
                CheckKeysUnique(file, array, pointer, field, map, diagnostics);
                if (field.Items is { } items)
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        CheckFields(file, array[i], pointer.Append(i), items, map, diagnostics);
                    }
                }

                break;

            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
            {
                var text = value.GetValue<string>();
                if (field.IsWriteOnly)
                {
                    if (!EnvReference.HasReference(text) && EnvReference.TryParse(text, out _, out _))
                    {
                        diagnostics.Add(DiagnosticCatalog.LiteralSecret.At(file, map.ValueAt(pointer.Text),
                            $"{Where()} is a secret and must not be written into a manifest; reference it from the environment instead, for example ${{env:{EnvReference.SuggestVariable(pointer)}}}. The value was not echoed here; rotate it if it was ever committed."));
                    }

                    break;
                }

                if (field.DeprecatedValues.TryGetValue(text, out var replacement))
                {
                    diagnostics.Add(DiagnosticCatalog.DeprecatedValue.At(file, map.ValueAt(pointer.Text), $"{Where()} is '{text}', which is {replacement}."));
                }

                if (field.MaxLengthWarning is { } limit && text.Length > limit)
                {
                    var reason = field.MaxLengthReason is { } why ? $": {why}" : "";
                    diagnostics.Add(DiagnosticCatalog.LongText.At(file, map.ValueAt(pointer.Text),
                        $"{Where()} is {text.Length:N0} characters, beyond the documented limit of {limit:N0}{reason}."));
                }

                break;
            }
        }
    }

    /// <summary>
    /// A list compared as a set by a key (tools by function name): two items with one key would be one item
    /// to Tavus and to the diff, so the second is an error at its key.
    /// </summary>
    private static void CheckKeysUnique(string file, JsonArray array, JsonPointer pointer, SchemaField field, SourceMap map, List<Diagnostic> diagnostics)
    {
        if (field.Compare != CompareMode.Set || field.SetKey is not { } keyText || !JsonPointer.TryParse(keyText, out var key, out _))
        {
            return;
        }

        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            if (!key.TryResolve(array[i], out var value) || SpecStrings.Of(value) is not { } name)
            {
                continue;
            }

            if (first.TryGetValue(name, out var earlier))
            {
                var at = map.ValueAt(pointer.Append(earlier).Text + key.Text);
                diagnostics.Add(DiagnosticCatalog.DuplicateItemKey.At(file, map.ValueAt(pointer.Append(i).Text + key.Text),
                    $"{FieldPath.Display(pointer.Append(i))} has {FieldPath.Display(key).TrimStart('.')} '{name}', as {FieldPath.Display(pointer.Append(earlier))} (line {at.Line}) has; each item needs its own, for Tavus tells them apart by it."));
            }
            else
            {
                first.Add(name, i);
            }
        }
    }

    /// <summary>
    /// Every string in the document must have well-formed ${env:...} references, and no URL field in spec
    /// (<c>base_url</c>, any <c>url</c> or <c>*_url</c>) may carry credentials (PO3015).
    /// </summary>
    private static void CheckReferences(string file, JsonNode? document, SourceMap map, List<Diagnostic> diagnostics) =>
        SpecStrings.Walk(document, (pointer, text, isSecret) =>
        {
            if (text.Contains("${", StringComparison.Ordinal) && !EnvReference.TryParse(text, out _, out var error))
            {
                diagnostics.Add(DiagnosticCatalog.MalformedReference.At(file, map.ValueAt(pointer.Text), $"{FieldPath.Display(pointer)}: {error}."));
            }

            if (!isSecret && pointer.Tokens.Count > 1 && pointer.Tokens[0] == "spec" && UrlCredentials.IsUrlField(pointer.LastToken) && UrlCredentials.Find(text) is { } credential)
            {
                diagnostics.Add(CredentialsInUrl(file, map.ValueAt(pointer.Text), FieldPath.Display(pointer), credential, resolved: false));
            }

            return null;
        });

    /// <summary>PO3015: the URL is never quoted, only what kind of credential it carries.</summary>
    internal static Diagnostic CredentialsInUrl(string file, SourcePosition at, string field, string credential, bool resolved) =>
        DiagnosticCatalog.CredentialsInUrl.At(file, at,
            $"{field} carries credentials{(resolved ? " once its ${env:...} references are resolved" : "")} ({credential}); a URL is stored in clear in the persona and shown in every plan. Give the URL without them, and send the credential in a header with a ${{env:NAME}} reference (layers.llm.headers, or the API key field).");

    /// <summary>
    /// Checks across all manifests: names, persona names and ids are unique; persona names only among the
    /// manifests identified by name (without metadata.id). persona_name is compared as
    /// written: two equal texts resolve to one name whatever the environment, so this never reports a
    /// collision that resolution would not; names that differ as written but resolve to one name (or a
    /// reference that resolves to another manifest's literal name) are reported by resolution, with the
    /// same code, once the environment is known (<see cref="Resolving.DesiredResolver"/>).
    /// </summary>
    public static void CheckUniqueness(IReadOnlyList<Manifest> manifests, List<Diagnostic> diagnostics)
    {
        // Names are unique within a kind (persona.coach and objective.coach are two addresses); a live
        // resource's id and name belong to one kind's API.
        Unique(manifests, m => m.Name, m => m.Map.ValueAt("/metadata/name"), DiagnosticCatalog.DuplicateName,
            (m, value, first) => $"metadata.name '{value}' is already used by {first}; each manifest needs its own name.", diagnostics);
        // A manifest that pins metadata.id is identified by it, not by its name: two live personas may share
        // a name (Tavus allows it), and their two imported manifests must not block each other.
        Unique(manifests, m => m.Id is null ? m.PersonaName : null, m => m.Map.ValueAt("/spec/" + m.Kind.Identity.NameField), DiagnosticCatalog.DuplicatePersonaName,
            (m, value, first) => $"spec.{m.Kind.Identity.NameField} '{value}' is already used by {first}; two manifests with one {m.Kind.Name} name would fight over the same live {m.Kind.Name}.", diagnostics);
        Unique(manifests, m => m.Id, m => m.Map.ValueAt("/metadata/id"), DiagnosticCatalog.DuplicateId,
            (m, value, first) => $"metadata.id '{value}' is already bound by {first}; a live {m.Kind.Name} can be managed by one manifest only.", diagnostics);

        // A manifest found by its name beside one that pins an id and keeps a persona of that name: once both
        // are applied two live personas have the name, and every later plan of the first is ambiguous.
        var pinned = new Dictionary<(string Kind, string Name), Manifest>();
        foreach (var manifest in manifests.Where(m => m.Id is not null && m.Ensure == Ensure.Present && m.PersonaName is not null))
        {
            pinned.TryAdd((manifest.Kind.Name, manifest.PersonaName!), manifest);
        }

        foreach (var manifest in manifests.Where(m => m.Id is null && m.PersonaName is not null))
        {
            if (pinned.TryGetValue((manifest.Kind.Name, manifest.PersonaName!), out var other))
            {
                var field = "/spec/" + manifest.Kind.Identity.NameField;
                var at = other.Map.ValueAt(field);
                diagnostics.Add(DiagnosticCatalog.DuplicatePersonaName.At(manifest.File, manifest.Map.ValueAt(field),
                    PinnedNameMessage(manifest.Kind, manifest.PersonaName!, "", at.In(other.File))));
            }
        }
    }

    /// <summary>
    /// PO3004 for a manifest identified by its name whose name a manifest pinned by id gives its persona too
    /// (<paramref name="resolved"/>: "" when both are written so, else how the names came to be one).
    /// </summary>
    internal static string PinnedNameMessage(ResourceKind kind, string name, string resolved, string other) =>
        $"spec.{kind.Identity.NameField} is '{name}'{resolved}, the {kind.Name} name that {other}, which pins metadata.id, gives its {kind.Name} too; once both are applied two live {kind.Name}s have this name, and this manifest, found by its name, cannot tell which is its own. Pin this one with metadata.id as well, or give it another name.";

    private static void Unique(IReadOnlyList<Manifest> manifests, Func<Manifest, string?> key, Func<Manifest, SourcePosition> position,
        DiagnosticDescriptor descriptor, Func<Manifest, string, string, string> message, List<Diagnostic> diagnostics)
    {
        var seen = new Dictionary<(string Kind, string Value), Manifest>();
        foreach (var manifest in manifests)
        {
            if (key(manifest) is not { } value)
            {
                continue;
            }

            if (seen.TryGetValue((manifest.Kind.Name, value), out var first))
            {
                var at = position(first);
                diagnostics.Add(descriptor.At(manifest.File, position(manifest), message(manifest, value, at.In(first.File))));
            }
            else
            {
                seen.Add((manifest.Kind.Name, value), manifest);
            }
        }
    }
}
