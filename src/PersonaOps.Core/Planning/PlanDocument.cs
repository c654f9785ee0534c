using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Planning;

/// <summary>
/// The saved-plan document (<c>plan --out</c>, <c>--output json</c>): versioned JSON with the target URL
/// and the account's keyed identity (never the key) and, per persona, its address, live id, action, exact operations, masked changes,
/// secret references with keyed fingerprints (never values), and the keyed fingerprint of the live document it was
/// computed from. Deterministic: no timestamps, stable order.
/// </summary>
public static class PlanDocument
{
    public static JsonObject ToJson(Plan plan)
    {
        var personas = new JsonArray(plan.Personas.Select(p => (JsonNode?)PersonaJson(p)).ToArray());
        var body = new JsonObject
        {
            ["format_version"] = Plan.FormatVersion,
            ["tool"] = "personaops",
            ["target"] = plan.Target,
            ["account"] = plan.Account,
            ["base"] = plan.Base,
            ["summary"] = new JsonObject { ["add"] = plan.ToAdd, ["change"] = plan.ToChange, ["delete"] = plan.ToDelete },
            ["applyable"] = plan.HasChanges && plan.Errors.Count == 0,
            ["personas"] = personas,
            ["errors"] = ErrorsJson(plan),
            ["unmanaged"] = UnmanagedJson(plan),
        };
        if (plan.Environment is not null)
        {
            body.Insert(body.IndexOf("account") + 1, "environment", plan.Environment);
        }

        body["plan_fingerprint"] = Fingerprint(plan);
        if (plan.Seal is not null)
        {
            body["plan_seal"] = plan.Seal;
        }

        return body;
    }

    private static JsonArray UnmanagedJson(Plan plan) =>
        new JsonArray(plan.Unmanaged.Select(u => (JsonNode?)new JsonObject { ["address"] = u.Address, ["file"] = u.File, ["live_id"] = u.LiveId }).ToArray());

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static JsonArray ErrorsJson(Plan plan) =>
        new JsonArray(plan.Errors.Select(e => (JsonNode?)new JsonObject
        {
            ["name"] = NameOf(e.Address),
            ["file"] = e.File,
            ["line"] = e.Position.Line,
            ["message"] = e.Message,
            ["address"] = e.Address,
            ["column"] = e.Position.Column,
            ["code"] = e.Code,
            ["severity"] = Diagnostics.DiagnosticFormatter.SeverityWord(e.Severity),
        }).ToArray());

    /// <summary>One planned resource as the plan file holds it; the fingerprint is computed from the same object.</summary>
    private static JsonObject PersonaJson(PersonaPlan p) => new()
    {
        ["address"] = p.Address,
        ["kind"] = p.Kind,
        ["reason"] = p.Reason,
        ["name"] = p.Name,
        ["file"] = p.File,
        ["line"] = p.Line,
        ["live_id"] = p.LiveId,
        ["persona_name"] = p.PersonaName,
        ["action"] = ActionName(p.Action),
        ["live_fingerprint"] = p.LiveFingerprint,
        ["patch"] = p.Patch.ToJson(),
        ["body"] = p.Body?.DeepClone(),
        ["changes"] = new JsonArray(p.Changes.Select(c => (JsonNode?)ChangeJson(c)).ToArray()),
        ["secrets"] = new JsonArray(p.Secrets.Select(s => (JsonNode?)new JsonObject
        {
            ["pointer"] = s.Pointer,
            ["reference"] = s.Reference,
            ["fingerprint"] = s.Fingerprint,
        }).ToArray()),
        ["notes"] = new JsonArray(p.Notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
        ["uncomparable_secrets"] = new JsonArray(p.UncomparableSecrets.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        ["outside_changes"] = Strings(p.OutsideChanges),
        ["conflicts"] = Strings(p.Conflicts),
        ["renamed_from"] = p.RenamedFrom,
    };

    /// <summary>One shown change; a JSON null, which a null node cannot tell from absence, is flagged.</summary>
    private static JsonObject ChangeJson(FieldChange c)
    {
        var change = new JsonObject
        {
            ["path"] = c.Path,
            ["before"] = c.Before?.DeepClone(),
            ["after"] = c.After?.DeepClone(),
            ["sensitive"] = c.Sensitive,
        };
        if (c.BeforeIsNull)
        {
            change["before_null"] = true;
        }

        if (c.AfterIsNull)
        {
            change["after_null"] = true;
        }

        return change;
    }

    public static string Serialize(Plan plan) =>
        Rendering.JsonText.Write(ToJson(plan));

    /// <summary>
    /// What was reviewed: the target (its API and account), every resource exactly as the plan file holds it
    /// (what apply sends, what a reviewer was shown, what the stale check trusts, what apply's report names),
    /// and the errors, so no field of the file that anyone sees or that apply uses can be edited unnoticed.
    /// Two things are left out: the live fingerprint of a resource with nothing to do (an unrelated persona
    /// edited where the manifest does not look, between review and merge, must not void the review; apply
    /// sends nothing for it) and secret values' fingerprints (the pull request's run may not hold the secrets
    /// the merge's run does; apply checks those values against the plan itself, and refuses a plan whose
    /// fingerprint does not match the value). Same plan, same fingerprint.
    /// </summary>
    public static string Fingerprint(Plan plan) =>
        CanonicalJson.Hash(WithEnvironment(plan, new JsonObject
        {
            ["target"] = plan.Target,
            ["account"] = plan.Account,
            ["base"] = plan.Base,
            ["unmanaged"] = UnmanagedJson(plan),
            ["personas"] = new JsonArray(plan.Personas.Select(p =>
            {
                var reviewed = PersonaJson(p);
                foreach (var secret in reviewed["secrets"]!.AsArray())
                {
                    secret!.AsObject().Remove("fingerprint");
                }

                if (p.Action == PlanAction.NoOp)
                {
                    reviewed.Remove("live_fingerprint");
                }

                return (JsonNode?)reviewed;
            }).ToArray()),
            ["errors"] = ErrorsJson(plan),
        }));

    /// <summary>The environment is part of what was reviewed; a plan made without one is fingerprinted as before.</summary>
    private static JsonObject WithEnvironment(Plan plan, JsonObject content)
    {
        if (plan.Environment is not null)
        {
            content["environment"] = plan.Environment;
        }

        return content;
    }

    private const string NotAPlan = "not a PersonaOps plan file (personaops plan --out writes one)";

    /// <summary>
    /// What <c>plan_seal</c> seals: the <see cref="Fingerprint"/> and the fingerprints of the secrets it leaves
    /// out. The seal covers them, because apply's check of each secret sent rests on them: a fingerprint
    /// removed from the file (or copied from a plan made with another value) would switch that check off.
    /// </summary>
    public static string SealedContent(Plan plan) =>
        Fingerprint(plan) + " " + CanonicalJson.Hash(new JsonArray(plan.Personas.Select(p =>
            (JsonNode?)new JsonArray(p.Secrets.Select(s => (JsonNode?)JsonValue.Create(s.Fingerprint)).ToArray())).ToArray()));

    /// <summary>Whether <paramref name="plan"/>, as read from a file, was sealed under <paramref name="key"/>: written by a plan of that account, unedited.</summary>
    public static bool IsSealedBy(Plan plan, PlanKey key) =>
        plan.Seal is { } seal && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(seal), System.Text.Encoding.UTF8.GetBytes(key.Seal(SealedContent(plan))));

    /// <summary>
    /// Reads a saved plan. Refused: anything that is not a PersonaOps plan document, another format version,
    /// and a plan whose <c>plan_fingerprint</c> is missing or does not match its content.
    /// </summary>
    public static bool TryParse(string json, [NotNullWhen(true)] out Plan? plan, [NotNullWhen(false)] out string? error, Kinds.KindRegistry? kinds = null) =>
        TryParse(json, verifyFingerprint: true, out plan, out error, kinds);

    /// <summary>For tests that forge a plan file: reads it as <see cref="TryParse(string, out Plan?, out string?, Kinds.KindRegistry?)"/> does, but without its fingerprint check.</summary>
    internal static bool TryParseUnchecked(string json, [NotNullWhen(true)] out Plan? plan) =>
        TryParse(json, verifyFingerprint: false, out plan, out _, null);

    private static bool TryParse(string json, bool verifyFingerprint, [NotNullWhen(true)] out Plan? plan, [NotNullWhen(false)] out string? error, Kinds.KindRegistry? kinds)
    {
        plan = null;
        JsonObject root;
        try
        {
            // A key twice or text that is not Unicode would fail wherever it happened to be read.
            if (JsonDefects.Find(System.Text.Encoding.UTF8.GetBytes(json), maxDepth: Rendering.JsonText.MaxDepth) is { } defect)
            {
                error = $"the plan file cannot be read: {defect.Description}";
                return false;
            }

            // A plan file is a JSON object that says it is PersonaOps's; anything else (a manifest, another
            // tool's JSON) is refused as such, not reported by whatever it happens to fail on.
            if (JsonNode.Parse(json, documentOptions: Rendering.JsonText.Reading) is not JsonObject parsed || parsed["tool"] is not JsonValue tool || !tool.TryGetValue<string>(out var name) || name != "personaops")
            {
                error = NotAPlan;
                return false;
            }

            root = parsed;
        }
        catch (JsonException ex)
        {
            error = HasDuplicateKey(json) ? $"the plan file holds a key twice in one object ({ex.Message.TrimEnd('.')}), so it is not the plan that was reviewed; make it again with personaops plan --out" : NotAPlan;
            return false;
        }

        try
        {

            if (root["format_version"]?.GetValue<int>() is not Plan.FormatVersion)
            {
                error = $"the plan file has format_version {root["format_version"]?.ToJsonString() ?? "(none)"}; this PersonaOps reads version {Plan.FormatVersion}";
                return false;
            }

            var personas = new List<PersonaPlan>();
            foreach (var node in root["personas"]?.AsArray() ?? [])
            {
                var p = node!.AsObject();
                if (!JsonPatchDocument.TryParse(p["patch"], out var patch, out var patchError))
                {
                    error = $"the plan for {p["address"]} has an invalid patch: {patchError}";
                    return false;
                }

                personas.Add(new PersonaPlan(
                    p["name"]!.GetValue<string>(),
                    p["file"]!.GetValue<string>(),
                    p["line"]!.GetValue<int>(),
                    p["live_id"]?.GetValue<string>(),
                    p["persona_name"]?.GetValue<string>(),
                    ParseAction(p["action"]!.GetValue<string>()),
                    patch,
                    p["body"] as JsonObject is { } body ? body.DeepClone().AsObject() : null,
                    (p["changes"]?.AsArray() ?? []).Select(c => new FieldChange(c!["path"]!.GetValue<string>(), c["before"]?.DeepClone(), c["after"]?.DeepClone(), c["sensitive"]!.GetValue<bool>())
                    {
                        BeforeIsNull = c["before_null"]?.GetValue<bool>() == true,
                        AfterIsNull = c["after_null"]?.GetValue<bool>() == true,
                    }).ToArray(),
                    (p["secrets"]?.AsArray() ?? []).Select(s => new SecretBinding(s!["pointer"]!.GetValue<string>(), s["reference"]!.GetValue<string>(), s["fingerprint"]?.GetValue<string>())).ToArray(),
                    p["live_fingerprint"]?.GetValue<string>(),
                    (p["notes"]?.AsArray() ?? []).Select(n => n!.GetValue<string>()).ToArray())
                {
                    UncomparableSecrets = (p["uncomparable_secrets"]?.AsArray() ?? []).Select(n => n!.GetValue<string>()).ToArray(),
                    Kind = p["kind"]?.GetValue<string>() ?? Kinds.PersonaKind.Identity.Kind,
                    Reason = p["reason"]?.GetValue<string>(),
                    OutsideChanges = (p["outside_changes"]?.AsArray() ?? []).Select(n => n!.GetValue<string>()).ToArray(),
                    Conflicts = (p["conflicts"]?.AsArray() ?? []).Select(n => n!.GetValue<string>()).ToArray(),
                    RenamedFrom = p["renamed_from"]?.GetValue<string>(),
                });
                if ((kinds ?? Kinds.KindRegistry.Default).Named(personas[^1].Kind) is not { } kind)
                {
                    error = $"the plan holds {personas[^1].Address}, of a kind this PersonaOps does not manage";
                    return false;
                }

                // Every path it shows is a JSON Pointer (a forged one would stop show half-way).
                foreach (var path in personas[^1].Changes.Select(c => c.Path).Concat(personas[^1].UncomparableSecrets).Concat(personas[^1].OutsideChanges).Concat(personas[^1].Conflicts))
                {
                    _ = JsonPointer.Parse(path);
                }

                // A variable's value is sent only into a field the schema marks secret: a plan that would put
                // one anywhere else (TAVUS_API_KEY into a prompt, say) was not written by plan.
                if (personas[^1].Secrets.FirstOrDefault(b => kind.Schema.At(JsonPointer.Parse(b.Pointer))?.IsWriteOnly != true) is { } misplaced)
                {
                    error = $"the plan binds {misplaced.Reference} to {misplaced.Pointer} of {personas[^1].Address}, which is not a secret field";
                    return false;
                }
            }

            var errors = (root["errors"]?.AsArray() ?? []).Select(ParseError).ToArray();
            plan = new Plan(root["target"]!.GetValue<string>(), personas, errors)
            {
                Account = root["account"]?.GetValue<string>(),
                Environment = root["environment"]?.GetValue<string>(),
                Base = root["base"]?.GetValue<string>(),
                Unmanaged = (root["unmanaged"]?.AsArray() ?? []).Select(u => new UnmanagedResource(u!["address"]!.GetValue<string>(), u["file"]!.GetValue<string>(), u["live_id"]?.GetValue<string>())).ToArray(),
            };
            if (!verifyFingerprint)
            {
                error = null;
                return true;
            }

            if (root["plan_fingerprint"]?.GetValue<string>() is not { Length: > 0 } recorded)
            {
                plan = null;
                error = "the plan file has no plan_fingerprint, so it cannot be shown to match what was reviewed; make it again with personaops plan --out";
                return false;
            }

            plan = plan with { Seal = root["plan_seal"]?.GetValue<string>() };
            if (plan.Account is not { Length: > 0 })
            {
                plan = null;
                error = "the plan file names no account, so apply could not tell which account it is for; make it again with personaops plan --out";
                return false;
            }

            if (recorded != Fingerprint(plan))
            {
                plan = null;
                error = "the plan file was modified after it was written (its fingerprint does not match its content)";
                return false;
            }

            error = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            error = $"the plan file cannot be read: {ex.Message}";
            return false;
        }
    }

    /// <summary>Whether <paramref name="json"/> is JSON but for a key given twice in one object (which a reader that allows it reads).</summary>
    private static bool HasDuplicateKey(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = Rendering.JsonText.MaxDepth });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>An error of a plan file; files written before errors carried code, column and address read as PO5000 at column 1.</summary>
    private static Diagnostics.Diagnostic ParseError(JsonNode? e)
    {
        var code = e!["code"]?.GetValue<string>();
        var descriptor = Diagnostics.DiagnosticCatalog.All.FirstOrDefault(d => d.Code == code) ?? Diagnostics.DiagnosticCatalog.PlanningFailed;
        var position = new Diagnostics.SourcePosition(e["line"]!.GetValue<int>(), e["column"]?.GetValue<int>() ?? 1);
        return descriptor.At(e["file"]!.GetValue<string>(), position, e["message"]!.GetValue<string>()) with
        {
            Address = e["address"]?.GetValue<string>() ?? "persona." + e["name"]!.GetValue<string>(),
        };
    }

    /// <summary>The manifest name in an address (<c>persona.coach</c> gives <c>coach</c>).</summary>
    private static string? NameOf(string? address) => address?[(address.IndexOf('.', StringComparison.Ordinal) + 1)..];

    public static string ActionName(PlanAction action) => action switch
    {
        PlanAction.Create => "create",
        PlanAction.Update => "update",
        PlanAction.Delete => "delete",
        _ => "no-op",
    };

    private static PlanAction ParseAction(string name) => name switch
    {
        "create" => PlanAction.Create,
        "update" => PlanAction.Update,
        "delete" => PlanAction.Delete,
        "no-op" => PlanAction.NoOp,
        _ => throw new FormatException($"unknown action '{name}'"),
    };
}
