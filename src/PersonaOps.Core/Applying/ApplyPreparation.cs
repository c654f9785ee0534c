using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Applying;

/// <summary>
/// Turns a planned persona into what is sent: every secret reference replaced by its value, read from the
/// environment only now, at the last moment, and checked against the fingerprint the plan recorded.
/// </summary>
public static class ApplyPreparation
{
    /// <summary>
    /// Prepares every change of <paramref name="plan"/>, in <see cref="ApplyOrder"/>, before the first request:
    /// each body and patch made with its secrets resolved and checked (a missing or rotated secret is a
    /// <see cref="Preparation.Problems">problem</see> that stops the whole apply, so it never stops half-way
    /// for want of a secret), and each patch tried on the live persona it is for (one that does not apply,
    /// or whose persona is gone, is <see cref="PreparedChange.Refusal">refused</see>: that change fails
    /// without a request, the others go ahead).
    /// </summary>
    /// <param name="live">The account's personas by id, as last read.</param>
    /// <param name="key">The account's key, the one the plan's secret fingerprints were made with.</param>
    public static Preparation Prepare(Plan plan, Func<string, string?> environment, IReadOnlyDictionary<string, JsonObject> live, PlanKey key)
    {
        var changes = new List<PreparedChange>();
        var problems = new List<Diagnostics.Diagnostic>();
        foreach (var persona in ApplyOrder.Order(plan.Personas).Where(p => p.Action != PlanAction.NoOp))
        {
            Diagnostics.Diagnostic? error = null;
            switch (persona.Action)
            {
                case PlanAction.Create:
                    if (ResolveBody(persona, environment, key, out error) is { } body)
                    {
                        changes.Add(new PreparedChange(persona, body, null, null));
                    }

                    break;
                case PlanAction.Update:
                    if (ResolvePatch(persona, environment, key, out error) is { } patch)
                    {
                        changes.Add(new PreparedChange(persona, null, patch, Check(persona, patch, live)));
                    }

                    break;
                default:
                    changes.Add(new PreparedChange(persona, null, null, persona.LiveId is null ? "the plan names no live persona to delete" : null));
                    break;
            }

            if (error is not null)
            {
                problems.Add(error);
            }
        }

        return new Preparation(changes, problems);
    }

    /// <summary>The account's personas by id (the first of any id listed twice), as <see cref="Prepare"/> takes them.</summary>
    public static IReadOnlyDictionary<string, JsonObject> IndexById(IEnumerable<JsonObject> listing)
    {
        var byId = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var persona in listing)
        {
            if (Kinds.PersonaKind.Identity.Id(persona) is { } id)
            {
                byId.TryAdd(id, persona);
            }
        }

        return byId;
    }

    /// <summary>
    /// The values the plan's secret references hold in <paramref name="environment"/>: what the output must
    /// mask, should an API echo one back in an error.
    /// </summary>
    public static IReadOnlyList<string> SecretValues(Plan plan, Func<string, string?> environment) =>
        [.. plan.Personas.SelectMany(p => p.Secrets).Select(s => EnvReference.Resolve(s.Reference, environment, out _)).OfType<string>().Distinct(StringComparer.Ordinal)];

    /// <summary>Why <paramref name="patch"/> cannot be sent to the live persona, or null: it is there and the patch applies to it.</summary>
    private static string? Check(PersonaPlan persona, JsonPatchDocument patch, IReadOnlyDictionary<string, JsonObject> live)
    {
        if (persona.LiveId is null || !live.TryGetValue(persona.LiveId, out var current))
        {
            return $"persona {persona.LiveId} is no longer in the account";
        }

        // A secret Tavus does not return cannot be seen to remove: Tavus holds it, so its removal is sent,
        // and left out of this local check (a three-way plan removes one its change dropped).
        var schema = (Kinds.KindRegistry.Default.Named(persona.Kind) ?? Kinds.PersonaKind.Descriptor).Schema;
        var visible = new JsonPatchDocument(patch.Operations.Where(op => !(op.Op == PatchOp.Remove && schema.At(op.Path)?.IsWriteOnly == true && !op.Path.TryResolve(current, out _))));
        var check = visible.Apply(current);
        return check.Succeeded ? null : $"the planned patch does not apply to the live persona ({check.Error}); nothing was sent. Make a new plan.";
    }

    public static JsonObject? ResolveBody(PersonaPlan plan, Func<string, string?> environment, PlanKey key, out Diagnostics.Diagnostic? error)
    {
        var body = plan.Body?.DeepClone().AsObject();
        if (body is null)
        {
            error = Problem(plan, Diagnostics.DiagnosticCatalog.PlanInconsistent, "the plan has no body to create");
            return null;
        }

        foreach (var secret in plan.Secrets)
        {
            var value = Resolve(plan, secret, environment, key, out error);
            if (value is null)
            {
                return null;
            }

            var result = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse(secret.Pointer), value)]).Apply(body);
            if (!result.Succeeded)
            {
                error = Problem(plan, Diagnostics.DiagnosticCatalog.PlanInconsistent, $"the planned body has no {secret.Pointer}");
                return null;
            }

            body = result.Document!.AsObject();
        }

        error = null;
        return body;
    }

    public static JsonPatchDocument? ResolvePatch(PersonaPlan plan, Func<string, string?> environment, PlanKey key, out Diagnostics.Diagnostic? error)
    {
        var operations = plan.Patch.Operations.ToList();
        foreach (var secret in plan.Secrets)
        {
            var value = Resolve(plan, secret, environment, key, out error);
            if (value is null)
            {
                return null;
            }

            var pointer = JsonPointer.Parse(secret.Pointer);
            for (var i = 0; i < operations.Count; i++)
            {
                var op = operations[i];
                if (!op.HasValue || !pointer.StartsWith(op.Path))
                {
                    continue;
                }

                var relative = JsonPointer.FromTokens(pointer.Tokens.Skip(op.Path.Tokens.Count));
                var replaced = new JsonPatchDocument([PatchOperation.Replace(relative, value)]).Apply(op.Value);
                if (replaced.Succeeded)
                {
                    operations[i] = op.Op == PatchOp.Add ? PatchOperation.Add(op.Path, replaced.Document) : PatchOperation.Replace(op.Path, replaced.Document);
                }
            }
        }

        error = null;
        return new JsonPatchDocument(operations);
    }

    /// <summary>
    /// True when <paramref name="now"/> already shows every operation of <paramref name="patch"/>: removed
    /// paths absent, added and replaced paths holding their values (a secret that reads back masked or
    /// omitted counts as set). Used when a PATCH was committed but its answer lost, and the retry was then
    /// refused because, for example, its remove found nothing left to remove.
    /// </summary>
    public static bool IsApplied(JsonPatchDocument patch, JsonNode now, Schema.KindSchema? schema = null) =>
        Convergence.Unconverged(patch, now, schema).Count == 0;

    private static string? Resolve(PersonaPlan plan, SecretBinding secret, Func<string, string?> environment, PlanKey key, out Diagnostics.Diagnostic? error)
    {
        var value = EnvReference.Resolve(secret.Reference, environment, out var missing);
        if (value is null)
        {
            error = Problem(plan, Diagnostics.DiagnosticCatalog.MissingVariable, $"the environment variable {missing ?? "(malformed reference)"} is not set; it holds the secret spec.{Validation.FieldPath.Display(secret.Pointer)}.");
            return null;
        }

        if (secret.Fingerprint is { } planned && key.Secret(value) != planned)
        {
            error = Problem(plan, Diagnostics.DiagnosticCatalog.SecretChangedSincePlan, $"the value of the secret spec.{Validation.FieldPath.Display(secret.Pointer)} is not the one the plan was made with; make a new plan.");
            return null;
        }

        error = null;
        return value;
    }

    /// <summary>A problem of a planned resource, at its manifest (a saved plan records the line, not the column).</summary>
    private static Diagnostics.Diagnostic Problem(PersonaPlan plan, Diagnostics.DiagnosticDescriptor descriptor, string message) =>
        descriptor.At(plan.File, new Diagnostics.SourcePosition(plan.Line, 1), message) with { Address = plan.Address };
}
