using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Planning;

/// <summary>
/// The schema-driven comparison of a manifest's spec with a live persona. It builds the target: the live
/// document as Tavus returns it, changed only where the manifest's fields differ after normalisation, so
/// that a patch generated from live to target touches exactly the fields that differ and nothing else.
/// Rules (architecture.md): read-only fields are never compared; absent equals the default; fields Tavus
/// chooses (llm.model, ...) are left alone when the manifest omits them; null, "", {} and [] on the live
/// side equal absence; unknown live fields and ignored pointers are left alone; arrays marked as sets are
/// compared as sets (tools matched by function name, with function.description, which Tavus does not
/// return, compared only when it comes back); secrets are compared only when the API echoes them.
/// </summary>
internal sealed class PersonaDiff(IReadOnlyList<JsonPointer> ignore, Func<string, string?> environment, bool rotateSecrets, KindSchema schema, PlanKey planKey, IReadOnlySet<string>? sendSecrets = null)
{
    public List<string> Notes { get; } = [];

    public List<string> UncomparableSecrets { get; } = [];

    public List<SecretBinding> Secrets { get; } = [];

    public JsonObject Target(JsonObject live, JsonObject desired, SchemaField spec)
    {
        var target = live.DeepClone().AsObject();
        MergeObject(target, live, desired, spec, JsonPointer.Root);
        return target;
    }

    private void MergeObject(JsonObject target, JsonObject live, JsonObject desired, SchemaField field, JsonPointer pointer, bool liveExists = true)
    {
        var keys = new SortedSet<string>(live.Select(p => p.Key), StringComparer.Ordinal);
        keys.UnionWith(desired.Select(p => p.Key));
        foreach (var key in keys)
        {
            var child = pointer.Append(key);
            if (IsIgnored(child))
            {
                continue;
            }

            var member = field.Member(key);
            var freeForm = member is null && field.Schema.AllowAdditionalProperties && field.PropertyCount > 0;
            if (member is null && !freeForm)
            {
                if (live.ContainsKey(key) && !desired.ContainsKey(key))
                {
                    Notes.Add($"{Display(child)} is set live but unknown to PersonaOps's schema; left alone.");
                }

                continue;
            }

            if (member?.IsReadOnly == true)
            {
                continue;
            }

            var inLive = live.TryGetPropertyValue(key, out var l);
            var inDesired = desired.TryGetPropertyValue(key, out var d);
            if (inDesired)
            {
                if (member?.IsWriteOnly == true)
                {
                    MergeSecret(target, key, child, l, d, liveExists);
                }
                else if (d is JsonObject dObj && member is not null && member.IsStructured)
                {
                    var lObj = l as JsonObject ?? new JsonObject();
                    var tObj = target[key] as JsonObject;
                    if (tObj is null)
                    {
                        tObj = new JsonObject();
                        MergeObject(tObj, new JsonObject(), dObj, member, child, liveExists: l is JsonObject);
                        if (tObj.Count > 0 || !PersonaShape.IsEmptyOrAbsent(l))
                        {
                            target[key] = tObj;
                        }
                    }
                    else
                    {
                        MergeObject(tObj, lObj, dObj, member, child);
                    }
                }
                else if (!Equivalent(inLive ? l : null, inLive, d, member))
                {
                    target[key] = d?.DeepClone();
                }
            }
            else if (inLive && !PersonaShape.IsEmptyOrAbsent(l) && member?.IsServerDefault != true && !EqualsDefault(l, member))
            {
                if (l is JsonObject lObj && member is not null && member.IsStructured && target[key] is JsonObject tObj)
                {
                    MergeObject(tObj, lObj, new JsonObject(), member, child);
                }
                else
                {
                    // Dropped from the manifest: removed live, secrets included (a masked value still shows
                    // that one is set). A secret Tavus omits on read-back cannot be seen, so stays.
                    target.Remove(key);
                }
            }
        }
    }

    private void MergeSecret(JsonObject target, string key, JsonPointer pointer, JsonNode? live, JsonNode? desired, bool liveParentExists)
    {
        if (desired is not JsonValue dv || dv.GetValueKind() != JsonValueKind.String)
        {
            return;
        }

        var reference = dv.GetValue<string>();
        var resolved = Manifests.EnvReference.Resolve(reference, environment, out var missing);
        var fingerprint = resolved is null ? null : planKey.Secret(resolved);
        var liveText = live is JsonValue lv && lv.GetValueKind() == JsonValueKind.String ? lv.GetValue<string>() : null;

        bool send;
        if (rotateSecrets || !liveParentExists || sendSecrets?.Contains(pointer.Text) == true)
        {
            // Asked to rotate, the layer holding the secret does not exist live yet (it cannot be set), or
            // the change adds the secret or changes its reference (a three-way plan knows that from its base).
            send = true;
        }
        else if (liveText is null || liveText.Length == 0 || Planning.Secrets.IsMask(liveText))
        {
            send = false;
            UncomparableSecrets.Add(pointer.Text);
            Notes.Add($"{Display(pointer)}: not comparable, because Tavus does not return its value; use --rotate-secrets to send it again.");
        }
        else if (resolved is null)
        {
            send = false;
            Notes.Add($"{Display(pointer)}: not compared, because the variable {missing} is not set here.");
        }
        else
        {
            send = !string.Equals(liveText, resolved, StringComparison.Ordinal);
        }

        if (send)
        {
            target[key] = reference;
            Secrets.Add(new SecretBinding(pointer.Text, reference, fingerprint));
        }
    }

    /// <summary>Adds the secrets of a create body, each bound to its reference.</summary>
    public void BindSecretsForCreate(JsonObject body)
    {
        PersonaShape.VisitSecrets(body, (pointer, value) =>
        {
            if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                var reference = v.GetValue<string>();
                var resolved = Manifests.EnvReference.Resolve(reference, environment, out _);
                Secrets.Add(new SecretBinding(pointer.Text, reference, resolved is null ? null : planKey.Secret(resolved)));
            }
        }, schema);
    }

    private bool IsIgnored(JsonPointer pointer) => ignore.Any(pointer.StartsWith);

    internal static bool Equivalent(JsonNode? live, bool inLive, JsonNode? desired, SchemaField? member)
    {
        if (!inLive || live is null)
        {
            return desired is null || EqualsDefault(desired, member);
        }

        if (member?.Compare == CompareMode.Set && live is JsonArray la && desired is JsonArray da)
        {
            return SetEquals(la, da, member.SetKey);
        }

        return JsonEquality.DeepEquals(live, desired);
    }

    private static bool SetEquals(JsonArray live, JsonArray desired, string? key)
    {
        if (live.Count != desired.Count)
        {
            return false;
        }

        if (key is null)
        {
            return live.Select(CanonicalJson.Serialize).Order(StringComparer.Ordinal)
                .SequenceEqual(desired.Select(CanonicalJson.Serialize).Order(StringComparer.Ordinal));
        }

        // A multiset by key: live may hold two elements with one key (two tools of one name, made outside
        // PersonaOps); each desired element must match its own live element.
        var pointer = JsonPointer.Parse(key);
        string Identity(JsonNode? item) => pointer.TryResolve(item, out var k) ? CanonicalJson.Serialize(k) : CanonicalJson.Serialize(item);
        var byKey = new Dictionary<string, List<JsonNode?>>(StringComparer.Ordinal);
        foreach (var item in live)
        {
            (byKey.TryGetValue(Identity(item), out var list) ? list : byKey[Identity(item)] = []).Add(item);
        }

        foreach (var item in desired)
        {
            var index = byKey.TryGetValue(Identity(item), out var matches) ? matches.FindIndex(match => ToolEquals(match, item)) : -1;
            if (index < 0)
            {
                return false;
            }

            matches!.RemoveAt(index);
        }

        return true;
    }

    /// <summary>Tavus drops function.description on read-back: compare it only when it came back.</summary>
    private static bool ToolEquals(JsonNode? live, JsonNode? desired)
    {
        if (desired is JsonObject d && live is JsonObject l && d["function"] is JsonObject df && l["function"] is JsonObject lf && !lf.ContainsKey("description"))
        {
            var copy = d.DeepClone().AsObject();
            copy["function"]!.AsObject().Remove("description");
            _ = df;
            return JsonEquality.DeepEquals(l, copy);
        }

        return JsonEquality.DeepEquals(live, desired);
    }

    /// <summary>A value equal to the field's default (the schema's one converter decides).</summary>
    private static bool EqualsDefault(JsonNode? value, SchemaField? member) => value is JsonValue && member?.IsDefault(value) == true;

    private static string Display(JsonPointer pointer) => Validation.FieldPath.Display(pointer);
}
