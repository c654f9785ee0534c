using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;

namespace PersonaOps.Core.Planning;

/// <summary>
/// Turns a planned persona into what is sent: every secret reference replaced by its value, read from the
/// environment only now, at the last moment, and checked against the fingerprint the plan recorded.
/// </summary>
public static class ApplyPreparation
{
    public static JsonObject? ResolveBody(PersonaPlan plan, Func<string, string?> environment, out string? error)
    {
        var body = plan.Body?.DeepClone().AsObject();
        if (body is null)
        {
            error = "the plan has no body to create";
            return null;
        }

        foreach (var secret in plan.Secrets)
        {
            var value = Resolve(plan, secret, environment, out error);
            if (value is null)
            {
                return null;
            }

            var result = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse(secret.Pointer), value)]).Apply(body);
            if (!result.Succeeded)
            {
                error = $"the planned body has no {secret.Pointer}";
                return null;
            }

            body = result.Document!.AsObject();
        }

        error = null;
        return body;
    }

    public static JsonPatchDocument? ResolvePatch(PersonaPlan plan, Func<string, string?> environment, out string? error)
    {
        var operations = plan.Patch.Operations.ToList();
        foreach (var secret in plan.Secrets)
        {
            var value = Resolve(plan, secret, environment, out error);
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
    public static bool IsApplied(JsonPatchDocument patch, JsonNode now, Schema.PersonaSchema? schema = null)
    {
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in patch.Operations.Where(o => o.HasValue))
        {
            Schema.PersonaShape.VisitSecrets(Wrap(op.Path, op.Value), (pointer, _) => secrets.Add(pointer.Text), schema);
        }

        foreach (var op in patch.Operations)
        {
            var present = op.Path.TryResolve(now, out var value);
            switch (op.Op)
            {
                case PatchOp.Remove when present:
                    return false;
                case PatchOp.Add or PatchOp.Replace when !present && !secrets.Contains(op.Path.Text):
                    return false;
                case PatchOp.Add or PatchOp.Replace when present && !MatchesAllowingSecrets(op.Value, value, op.Path, secrets):
                    return false;
            }
        }

        return true;
    }

    private static bool MatchesAllowingSecrets(JsonNode? expected, JsonNode? actual, JsonPointer at, HashSet<string> secrets)
    {
        if (secrets.Contains(at.Text))
        {
            return actual is null || JsonEquality.DeepEquals(expected, actual) || (actual is JsonValue v && v.TryGetValue<string>(out var s) && Secrets.IsMask(s));
        }

        if (expected is JsonObject e && actual is JsonObject a)
        {
            return e.All(p => a.TryGetPropertyValue(p.Key, out var child)
                ? MatchesAllowingSecrets(p.Value, child, at.Append(p.Key), secrets)
                : secrets.Contains(at.Append(p.Key).Text));
        }

        return JsonEquality.DeepEquals(expected, actual);
    }

    /// <summary>A persona-shaped document holding <paramref name="value"/> at <paramref name="path"/>, to find the secrets in it.</summary>
    private static JsonNode? Wrap(JsonPointer path, JsonNode? value)
    {
        var node = value?.DeepClone();
        foreach (var token in path.Tokens.Reverse())
        {
            node = new JsonObject { [token] = node };
        }

        return node;
    }

    private static string? Resolve(PersonaPlan plan, SecretBinding secret, Func<string, string?> environment, out string? error)
    {
        var value = EnvReference.Resolve(secret.Reference, environment, out var missing);
        if (value is null)
        {
            error = $"{plan.File}({plan.Line}): the environment variable {missing ?? "(malformed reference)"} is not set; it holds the secret spec.{Validation.FieldPath.Display(secret.Pointer)}.";
            return null;
        }

        if (secret.Fingerprint is { } planned && Secrets.Fingerprint(value) != planned)
        {
            error = $"{plan.File}({plan.Line}): the value of the secret spec.{Validation.FieldPath.Display(secret.Pointer)} is not the one the plan was made with; make a new plan.";
            return null;
        }

        error = null;
        return value;
    }
}
