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
