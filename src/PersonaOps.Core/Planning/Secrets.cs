using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Planning;

/// <summary>Secret values in plans: masked wherever shown (their fingerprints are <see cref="PlanKey.Secret"/>).</summary>
public static class Secrets
{
    /// <summary>The masked form in every output.</summary>
    public const string Sensitive = "(sensitive value)";

    /// <summary>True when a live value is a mask rather than the secret itself.</summary>
    public static bool IsMask(string value) => value.Length > 0 && value.All(c => c is '*' or '•' or 'x' or 'X') && value.Length >= 3;

    /// <summary>
    /// The plan with every known secret value masked (<paramref name="redact"/> replaces them) wherever it is
    /// only shown: the before/after values, notes, reasons, names and errors. A live persona may hold a secret
    /// in a field that is not secret (a key pasted into a prompt); the plan file, show and every rendering
    /// then show it masked. What apply sends (patches, create bodies) is never changed: when one of them holds
    /// a known secret value, <paramref name="sent"/> names the resource, and the plan must be refused.
    /// </summary>
    public static Plan MaskKnown(Plan plan, Func<string, string> redact, out string? sent)
    {
        sent = plan.Personas.FirstOrDefault(p => p.Action != PlanAction.NoOp && (Holds(p.Patch.ToJson(), redact) || Holds(p.Body, redact)))?.Address;
        return plan with
        {
            Target = redact(plan.Target),
            Personas = [.. plan.Personas.Select(p => p with
            {
                Changes = [.. p.Changes.Select(c => c with { Before = Map(c.Before, redact, IsUrlField(c.Path)), After = Map(c.After, redact, IsUrlField(c.Path)), Note = c.Note is null ? null : redact(c.Note) })],
                Notes = [.. p.Notes.Select(redact)],
                Reason = p.Reason is null ? null : redact(p.Reason),
            })],
            Errors = [.. plan.Errors.Select(e => e with { Message = redact(e.Message) })],
        };
    }

    private static bool Holds(JsonNode? node, Func<string, string> redact)
    {
        if (node is null)
        {
            return false;
        }

        var text = Rendering.JsonText.Write(node);
        return redact(text) != text;
    }

    /// <summary>
    /// A copy of a value with <paramref name="redact"/> applied to every string and key in it, and a URL field's
    /// credentials (<c>user:password@</c>, <c>?api_key=</c>, a live persona's: manifests may not hold them) stripped first.
    /// </summary>
    private static JsonNode? Map(JsonNode? node, Func<string, string> redact, bool urlField) => node switch
    {
        JsonObject obj => MapObject(obj, redact),
        JsonArray array => new JsonArray([.. array.Select(n => Map(n, redact, false))]),
        JsonValue v when v.TryGetValue<string>(out var s) => JsonValue.Create(redact(urlField ? Manifests.UrlCredentials.Strip(s) : s)),
        _ => node?.DeepClone(),
    };

    private static bool IsUrlField(string pointer) =>
        pointer.LastIndexOf('/') is var slash and >= 0 && Manifests.UrlCredentials.IsUrlField(pointer[(slash + 1)..]);

    private static JsonObject MapObject(JsonObject obj, Func<string, string> redact)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            // Two keys masked alike stay two members.
            var masked = redact(key);
            var name = masked;
            for (var n = 2; copy.ContainsKey(name); n++)
            {
                name = $"{masked} ({n})";
            }

            copy[name] = Map(value, redact, Manifests.UrlCredentials.IsUrlField(key));
        }

        return copy;
    }
}
