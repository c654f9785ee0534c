using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Resolving;

/// <summary>
/// What resolution gives: the resources that resolved (in manifest order), a diagnostic for every problem
/// (a variable not set or empty, PO3007; two manifests whose persona_name resolves to one name, PO3004;
/// a secret's variable, or TAVUS_API_KEY, in a field that is not secret, PO3014; a URL field whose
/// variables bring credentials into it, PO3015),
/// and the variables secret fields name, whose values must never be shown.
/// </summary>
public sealed record ResolveResult(IReadOnlyList<DesiredResource> Resources, IReadOnlyList<Diagnostic> Diagnostics, IReadOnlySet<string> SecretVariables)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// The stage between validation and the diff: each validated manifest becomes one
/// <see cref="DesiredResource"/>. Non-secret references are replaced by their values (<c>$${</c> becomes a
/// literal <c>${</c>); secret references stay as written and are bound, so their values are read only
/// when needed. A variable that is set but empty counts as not set. Pure: the environment is a function.
/// </summary>
public static class DesiredResolver
{
    /// <param name="requireSecrets">
    /// apply needs every secret's variable; plan only the ordinary ones (a secret it cannot read is not
    /// compared, and the plan says so).
    /// </param>
    /// <param name="schema">A schema to use for every manifest instead of its kind's (tests of the persona schema).</param>
    /// <param name="untrusted">
    /// The manifests were written by someone who must not learn this environment's values (a fork's pull
    /// request, planned with the repository's secrets): a reference outside a secret field would put a
    /// variable's value into the plan they read, so it is an error (PO3016) and nothing is resolved there.
    /// Secret fields may reference variables: their values are never shown.
    /// </param>
    public static ResolveResult Resolve(IReadOnlyList<Manifest> manifests, Func<string, string?> environment, bool requireSecrets, KindSchema? schema = null, bool untrusted = false)
    {
        var diagnostics = new List<Diagnostic>();
        var resources = new List<DesiredResource>(manifests.Count);
        var secretVariables = SecretVariablesOf(manifests, schema);
        var sensitive = new HashSet<string>(secretVariables, StringComparer.Ordinal) { TavusKeyVariable };
        foreach (var manifest in manifests)
        {
            var errorsBefore = diagnostics.Count;
            var secrets = new List<SecretReference>();
            var resolvedValues = new List<(JsonPointer Pointer, string Text)>();
            SpecStrings.Walk(manifest.Spec, (pointer, text, isSecret) =>
            {
                if (!text.Contains("${", StringComparison.Ordinal) || !EnvReference.TryParse(text, out var parts, out _))
                {
                    return null; // no reference; a malformed one was refused by validation
                }

                var variables = parts.Where(p => p.IsReference).Select(p => p.Text).Distinct(StringComparer.Ordinal).ToArray();
                if (isSecret)
                {
                    secrets.Add(new SecretReference(pointer, text, variables));
                }
                else if (untrusted && variables.Length > 0)
                {
                    diagnostics.Add(DiagnosticCatalog.VariableInUntrusted.At(manifest.File, manifest.Map.ValueAt("/spec" + pointer.Text),
                        $"spec.{FieldPath.Display(pointer)} references ${{env:{variables[0]}}}, but these manifests are planned as untrusted data (--untrusted: a fork's pull request), and the plan would show the variable's value to whoever wrote them. Only secret fields may reference variables here; use a literal value, or plan the change once it is merged.") with { Address = manifest.Address });
                    return null;
                }
                else if (variables.FirstOrDefault(sensitive.Contains) is { } leaked)
                {
                    // Its value would be stored in clear in the persona, and shown in every plan of it.
                    var why = leaked == TavusKeyVariable ? "it holds the Tavus API key" : "a secret field references it, so its value is a secret";
                    diagnostics.Add(DiagnosticCatalog.SecretInPlainField.At(manifest.File, manifest.Map.ValueAt("/spec" + pointer.Text),
                        $"spec.{FieldPath.Display(pointer)} references ${{env:{leaked}}}, but {why}; spec.{FieldPath.Display(pointer)} is not a secret field, so the value would be stored and shown in clear. Use another variable here, or move the value to a secret field.") with { Address = manifest.Address });
                    return null;
                }

                if (!isSecret || requireSecrets)
                {
                    foreach (var name in variables.Where(v => EnvReference.Lookup(environment, v) is null))
                    {
                        var state = environment(name) is null ? "is not set" : "is set but empty (CI gives a secret it does not have as an empty value)";
                        diagnostics.Add(DiagnosticCatalog.MissingVariable.At(manifest.File, manifest.Map.ValueAt("/spec" + pointer.Text),
                            $"spec.{FieldPath.Display(pointer)} references ${{env:{name}}}, but {name} {state}{(isSecret ? "; apply needs every secret it may send" : "")}. Set it in the environment (in CI, from a secret).") with { Address = manifest.Address });
                    }
                }

                if (!isSecret && EnvReference.Resolve(text, environment, out _) is { } value)
                {
                    // A URL whose variables bring credentials into it (validation judged it as written).
                    if (UrlCredentials.IsUrlField(pointer.LastToken) && UrlCredentials.Find(value) is { } credential)
                    {
                        diagnostics.Add(SemanticChecks.CredentialsInUrl(manifest.File, manifest.Map.ValueAt("/spec" + pointer.Text), "spec." + FieldPath.Display(pointer), credential, resolved: true) with { Address = manifest.Address });
                        return null;
                    }

                    resolvedValues.Add((pointer, value));
                }

                return null;
            }, (schema ?? manifest.Kind.Schema).Spec);

            if (diagnostics.Count == errorsBefore)
            {
                resources.Add(new DesiredResource(manifest, WithValues(manifest.Spec, resolvedValues), secrets));
            }
        }

        CheckResolvedNames(resources, diagnostics);
        var failed = diagnostics.Select(d => d.Address).ToHashSet(StringComparer.Ordinal);
        return new ResolveResult([.. resources.Where(r => !failed.Contains(r.Address))], diagnostics, secretVariables);
    }

    /// <summary>The variable that holds the Tavus API key: a secret wherever a manifest names it.</summary>
    public const string TavusKeyVariable = "TAVUS_API_KEY";

    /// <summary>Every variable a secret field of any of the manifests references: its value is a secret everywhere.</summary>
    private static HashSet<string> SecretVariablesOf(IReadOnlyList<Manifest> manifests, KindSchema? schema)
    {
        var variables = new HashSet<string>(StringComparer.Ordinal);
        foreach (var manifest in manifests)
        {
            SpecStrings.Walk(manifest.Spec, (pointer, text, isSecret) =>
            {
                if (isSecret && text.Contains("${", StringComparison.Ordinal) && EnvReference.TryParse(text, out var parts, out _))
                {
                    variables.UnionWith(parts.Where(p => p.IsReference).Select(p => p.Text));
                }

                return null;
            }, (schema ?? manifest.Kind.Schema).Spec);
        }

        return variables;
    }

    /// <summary>
    /// The spec with the resolved values in place: a copy when any reference was resolved, the manifest's own
    /// spec (a value nobody changes) when there was none, so a manifest without references costs no copy.
    /// </summary>
    private static JsonObject? WithValues(JsonObject? spec, List<(JsonPointer Pointer, string Text)> values)
    {
        if (spec is null || values.Count == 0)
        {
            return spec;
        }

        var copy = spec.DeepClone().AsObject();
        foreach (var (pointer, text) in values)
        {
            pointer.Parent.TryResolve(copy, out var parent);
            switch (parent)
            {
                case JsonObject obj:
                    obj[pointer.LastToken] = text;
                    break;
                case JsonArray array when JsonPointer.TryParseIndex(pointer.LastToken, out var index):
                    array[index] = text;
                    break;
            }
        }

        return copy;
    }

    /// <summary>
    /// Two manifests whose persona_name resolves to one name would fight over one live persona (and, with no
    /// persona of that name yet, both create it); manifests that pin metadata.id are identified by it and are
    /// not compared. Validation compares the names as written; this compares
    /// them as they will be matched and sent. Only the later manifest is reported, as validation does.
    /// </summary>
    private static void CheckResolvedNames(IReadOnlyList<DesiredResource> resources, List<Diagnostic> diagnostics)
    {
        var seen = new Dictionary<(string Kind, string Name), DesiredResource>();
        var pinned = new Dictionary<(string Kind, string Name), DesiredResource>();
        foreach (var resource in resources.Where(r => r.Id is not null && r.Ensure == Ensure.Present && r.PersonaName is not null))
        {
            pinned.TryAdd((resource.Source.Kind.Name, resource.PersonaName!), resource);
        }

        foreach (var resource in resources)
        {
            // Only a manifest identified by its name can fight over a persona by name; one that pins
            // metadata.id manages that persona whatever it is called.
            if (resource.PersonaName is not { } name || resource.Id is not null)
            {
                continue;
            }

            var kind = resource.Source.Kind;
            if (pinned.TryGetValue((kind.Name, name), out var other))
            {
                // A pinned manifest that gives its persona this name leaves two live personas with it once
                // both are applied (see SemanticChecks.CheckUniqueness, which compares the names as written).
                var nameField = "/spec/" + kind.Identity.NameField;
                var otherAt = other.ValueAt(nameField);
                var how = resource.Source.PersonaName == name && other.Source.PersonaName == name ? "" : " once its ${env:...} references are resolved";
                diagnostics.Add(resource.At(DiagnosticCatalog.DuplicatePersonaName, nameField,
                    Validation.SemanticChecks.PinnedNameMessage(kind, name, how, otherAt.In(other.File))));
                continue;
            }

            if (!seen.TryAdd((kind.Name, name), resource))
            {
                var first = seen[(kind.Name, name)];
                var field = "/spec/" + kind.Identity.NameField;
                var at = first.ValueAt(field);
                var written = resource.Source.PersonaName == name && first.Source.PersonaName == name ? "" : " once its ${env:...} references are resolved";
                diagnostics.Add(resource.At(DiagnosticCatalog.DuplicatePersonaName, field,
                    $"spec.{kind.Identity.NameField} is '{name}'{written}, the {kind.Name} name of {at.In(first.File)} too; two manifests with one {kind.Name} name would fight over the same live {kind.Name}."));
            }
        }
    }
}
