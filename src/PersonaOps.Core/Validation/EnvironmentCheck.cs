using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Validation;

/// <summary>
/// Whether the environment holds every variable the manifests reference, checked before any API call.
/// plan needs the variables of ordinary fields, whose values it compares; a secret's variable may be
/// missing in plan (that secret is not compared, and the plan says so). apply needs every one, so that it
/// never stops half-way for want of a variable.
/// </summary>
public static class EnvironmentCheck
{
    /// <summary>
    /// The references that cannot be resolved (<see cref="Result.Missing"/>), and the variables the secret
    /// fields reference (<see cref="Result.SecretVariables"/>: their values are what must never be shown).
    /// </summary>
    public sealed record Result(IReadOnlyList<Diagnostic> Missing, IReadOnlySet<string> SecretVariables);

    public static Result Check(IEnumerable<Manifest> manifests, Func<string, string?> environment, bool includeSecrets, PersonaSchema? schema = null)
    {
        schema ??= PersonaSchema.V1;
        var diagnostics = new List<Diagnostic>();
        var secretVariables = new HashSet<string>(StringComparer.Ordinal);
        foreach (var manifest in manifests)
        {
            if (manifest.Spec is null)
            {
                continue;
            }

            HashSet<string>? secrets = null; // found only for a manifest that has references at all
            Walk(manifest.Spec, JsonPointer.Root);

            void Walk(JsonNode? node, JsonPointer pointer)
            {
                switch (node)
                {
                    case JsonObject obj:
                        foreach (var (key, value) in obj)
                        {
                            Walk(value, pointer.Append(key));
                        }

                        break;
                    case JsonArray array:
                        for (var i = 0; i < array.Count; i++)
                        {
                            Walk(array[i], pointer.Append(i));
                        }

                        break;
                    case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                        var text = value.GetValue<string>();
                        if (!text.Contains("${", StringComparison.Ordinal))
                        {
                            break;
                        }

                        if (secrets is null)
                        {
                            secrets = new HashSet<string>(StringComparer.Ordinal);
                            PersonaShape.VisitSecrets(manifest.Spec, (p, _) => secrets.Add(p.Text), schema);
                        }

                        var isSecret = secrets.Contains(pointer.Text);
                        if (!EnvReference.TryParse(text, out var parts, out _))
                        {
                            break;
                        }

                        if (isSecret)
                        {
                            secretVariables.UnionWith(parts.Where(p => p.IsReference).Select(p => p.Text));
                        }

                        if (includeSecrets || !isSecret)
                        {
                            foreach (var name in parts.Where(p => p.IsReference && environment(p.Text) is null).Select(p => p.Text).Distinct(StringComparer.Ordinal))
                            {
                                diagnostics.Add(DiagnosticCatalog.MissingVariable.At(manifest.File, manifest.Map.ValueAt("/spec" + pointer.Text),
                                    $"spec.{FieldPath.Display(pointer)} references ${{env:{name}}}, but {name} is not set{(isSecret ? "; apply needs every secret it may send" : "")}. Set it in the environment (in CI, from a secret)."));
                            }
                        }

                        break;
                }
            }
        }

        return new Result(diagnostics, secretVariables);
    }
}
