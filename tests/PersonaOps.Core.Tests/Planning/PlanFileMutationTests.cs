using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PersonaOps.Core.Applying;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Rendering;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Planning;

/// <summary>
/// A saved plan under random edits (a value changed, a field dropped or nulled, two operations swapped, an
/// element repeated, names, targets, accounts, fingerprints and secret bindings rewritten): the loader apply
/// and show use either refuses the file, or apply refuses it before any write (a secret that does not match,
/// a stale persona), or what apply sends and what show displays is exactly what the original file said. So
/// every field either is covered by <c>plan_fingerprint</c> or changes nothing anyone sees or sends.
/// </summary>
public sealed class PlanFileMutationTests
{
    private const string LlmKey = "sk-PROPERTY-llm-0001";

    private static readonly Func<string, string?> Env = name => name switch
    {
        "LLM_KEY" => LlmKey,
        _ => null,
    };

    private static readonly JsonObject[] Live =
    [
        Json("""{"persona_id":"p0000000c0ac","persona_name":"Coach","system_prompt":"You coach.","layers":{"llm":{"model":"m","base_url":"https://llm.example.com/v1","api_key":"sk-old-value-0099"}}}"""),
        Json("""{"persona_id":"p0000000707a","persona_name":"Tutor","system_prompt":"You tutor.","layers":{"llm":{"model":"m","base_url":"https://llm.example.com/v1","api_key":"****"}}}"""),
        Json("""{"persona_id":"p00000000o1d","persona_name":"Old","system_prompt":"You are old."}"""),
    ];

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private static string Manifest(string name, string spec, string metadata = "") => $"""
        apiVersion: personaops/v1
        kind: Persona
        metadata:
          name: {name}
        {metadata}
        spec:
        {spec}
        """;

    private static readonly Lazy<Plan> Original = new(() =>
    {
        const string llm = "  layers:\n    llm:\n      model: m\n      base_url: https://llm.example.com/v1\n      api_key: ${env:LLM_KEY}\n";
        var files = new[]
        {
            ("personas/coach.yaml", Manifest("coach", "  persona_name: Coach\n  system_prompt: You coach kindly.\n" + llm)),
            ("personas/tutor.yaml", Manifest("tutor", "  persona_name: Tutor\n  system_prompt: You tutor.\n" + llm)),
            ("personas/guide.yaml", Manifest("guide", "  persona_name: Guide\n  system_prompt: You guide.\n" + llm)),
            ("personas/old.yaml", Manifest("old", "  persona_name: Old", "  id: p00000000o1d\n  ensure: absent")),
        };
        var result = ManifestValidator.Validate([.. files.Select(f => new SourceFile(f.Item1, Encoding.UTF8.GetBytes(f.Item2)))]);
        result.HasErrors.ShouldBeFalse(string.Join("\n", result.Diagnostics));
        var plan = Planner.Create(TestKeys.Target("https://tavusapi.com"), result.Manifests, Live, Env);
        plan.Errors.ShouldBeEmpty();
        plan.Personas.Select(p => p.Action).Order().ShouldBe([PlanAction.NoOp, PlanAction.Create, PlanAction.Update, PlanAction.Delete]);
        plan.Personas.Single(p => p.Action == PlanAction.Update).Secrets.ShouldNotBeEmpty();
        return plan;
    });

    /// <summary>What show displays (text, verbose or not, and Markdown) and what apply uses and sends, under account A; or "refused".</summary>
    private static string Observed(Plan plan)
    {
        var text = new StringBuilder();
        text.AppendLine(plan.Target).AppendLine(plan.Account);
        text.AppendLine(PlanTextRenderer.Render(plan, color: false, verbose: false));
        text.AppendLine(PlanTextRenderer.Render(plan, color: false, verbose: true));
        text.AppendLine(PlanMarkdownRenderer.Render(plan));
        foreach (var p in plan.Personas)
        {
            // What apply's report names for every resource, the unchanged ones included.
            text.AppendLine($"{p.Address} {p.Kind} {p.Action} {p.LiveId} {p.PersonaName} {p.File}:{p.Line}");
        }

        if (plan.Errors.Count > 0)
        {
            text.AppendLine("errors: " + string.Join("; ", plan.Errors));
        }

        var byId = ApplyPreparation.IndexById(Live);
        var reads = StaleCheck.IdsToRead(plan).ToDictionary(id => id, id => byId.GetValueOrDefault(id));
        if (StaleCheck.Check(plan, Live, reads, TestKeys.A).IsStale)
        {
            return "refused: stale";
        }

        var preparation = ApplyPreparation.Prepare(plan, Env, byId, TestKeys.A);
        if (!preparation.CanStart)
        {
            return "refused: " + string.Join("; ", preparation.Problems.Select(p => p.Code));
        }

        foreach (var change in preparation.Changes)
        {
            text.AppendLine($"send {change.Plan.Address} {change.Plan.Action} {change.Body?.ToJsonString()} {change.Patch?.ToJson().ToJsonString()} {change.Refusal}");
        }

        return text.ToString();
    }

    /// <summary>Every node of a document with where it sits: its parent and its key or index.</summary>
    private static List<(JsonNode Parent, string? Key, int Index)> Slots(JsonNode node)
    {
        var slots = new List<(JsonNode, string?, int)>();
        void Walk(JsonNode n)
        {
            switch (n)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj.ToArray())
                    {
                        slots.Add((obj, key, -1));
                        if (value is not null)
                        {
                            Walk(value);
                        }
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        slots.Add((array, null, i));
                        if (array[i] is { } item)
                        {
                            Walk(item);
                        }
                    }

                    break;
            }
        }

        Walk(node);
        return slots;
    }

    /// <summary>Values an edit may write: plain ones, and those that matter to a plan (another account, a secret's variable, a field that is not secret).</summary>
    private static JsonNode? Replacement(int which, string text) => (which % 16) switch
    {
        0 => null,
        1 => JsonValue.Create(text),
        2 => JsonValue.Create(text.Length),
        3 => JsonValue.Create(true),
        4 => new JsonArray(),
        5 => new JsonObject(),
        6 => JsonValue.Create(TestKeys.B.Account),
        7 => JsonValue.Create("${env:TAVUS_API_KEY}"),
        8 => JsonValue.Create("/system_prompt"),
        9 => JsonValue.Create("/layers/tts/api_key"),
        10 => JsonValue.Create(TestKeys.A.Document(Live[0])),
        11 => JsonValue.Create(TestKeys.A.Secret("sk-other")),
        12 => JsonValue.Create("p0000000707a"),
        13 => JsonValue.Create("update"),
        14 => JsonValue.Create("no-op"),
        _ => JsonValue.Create("persona"),
    };

    /// <summary>One random edit of <paramref name="document"/>, in place.</summary>
    private static void Mutate(JsonNode document, int slot, int kind, int value, string text)
    {
        var slots = Slots(document);
        var (parent, key, index) = slots[(int)((uint)slot % (uint)slots.Count)]; // slot + i * 7919 may wrap below zero
        var replacement = Replacement(value, text);
        switch (kind % 4)
        {
            case 0: // replace
                if (key is not null)
                {
                    parent[key] = replacement;
                }
                else
                {
                    parent.AsArray()[index] = replacement;
                }

                break;
            case 1: // drop
                if (key is not null)
                {
                    parent.AsObject().Remove(key);
                }
                else
                {
                    parent.AsArray().RemoveAt(index);
                }

                break;
            case 2: // swap with a sibling
                if (key is not null)
                {
                    var keys = parent.AsObject().Select(p => p.Key).ToArray();
                    var other = keys[value % keys.Length];
                    var (a, b) = (parent[key]?.DeepClone(), parent[other]?.DeepClone());
                    parent[key] = b;
                    parent[other] = a;
                }
                else
                {
                    var array = parent.AsArray();
                    var j = value % array.Count;
                    var (a, b) = (array[index]?.DeepClone(), array[j]?.DeepClone());
                    array[index] = b;
                    array[j] = a;
                }

                break;
            default: // repeat an element, or add a member
                if (key is null)
                {
                    parent.AsArray().Insert(index, parent.AsArray()[index]?.DeepClone());
                }
                else if (parent is JsonObject obj && !obj.ContainsKey(text))
                {
                    obj[text] = replacement;
                }

                break;
        }
    }

    private static readonly Gen<(int Slot, int Kind, int Value, string Text, int Count)> Edits =
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 3], Gen.Int[0, 1000], Gen.String[Gen.Char["abcp0/~ {}$"], 0, 8], Gen.Int[1, 3]);

    [Fact]
    public void AnEditedPlanFile_IsRefused_OrShowsAndSendsExactlyWhatItsFingerprintCovers()
    {
        var original = Original.Value;
        var file = PlanDocument.Serialize(original);
        var expected = Observed(original);
        expected.ShouldNotStartWith("refused");
        int refusedByLoader = 0, refusedByApply = 0, harmless = 0;

        Edits.Sample(edit =>
        {
            var document = JsonNode.Parse(file)!;
            for (var i = 0; i < edit.Count; i++)
            {
                Mutate(document, edit.Slot + (i * 7919), edit.Kind + i, edit.Value + i, edit.Text);
            }

            var edited = document.ToJsonString();
            if (!PlanDocument.TryParse(edited, out var plan, out var error))
            {
                error.ShouldNotBeNullOrWhiteSpace();
                Interlocked.Increment(ref refusedByLoader);
                return;
            }

            var observed = Observed(plan);
            if (observed.StartsWith("refused", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref refusedByApply);
                return;
            }

            observed.ShouldBe(expected, $"an edit the fingerprint does not cover changed what is shown or sent:\n{edited}");
            Interlocked.Increment(ref harmless);
        }, iter: 3000);

        // Not vacuous: most edits are refused by the loader, some by apply (a secret fingerprint edited), and
        // some change nothing anyone sees (a derived summary, the order of a JSON object's members).
        refusedByLoader.ShouldBeGreaterThan(1000);
        refusedByApply.ShouldBeGreaterThan(0);
        harmless.ShouldBeGreaterThan(0);
    }

    private static void AssertSecretOnlyInSecretFields(JsonNode? value, PersonaOps.Core.JsonPatch.JsonPointer at)
    {
        var schema = PersonaOps.Core.Schema.KindSchema.Persona;
        if (SpecStrings.Of(value) is { } text)
        {
            if (text.Contains(LlmKey, StringComparison.Ordinal))
            {
                schema.At(at)?.IsWriteOnly.ShouldBe(true, $"the secret is sent in {at.Text}");
            }

            return;
        }

        var field = at.IsRoot ? schema.Spec : schema.At(at);
        var inSecret = field?.IsWriteOnly == true;
        SpecStrings.Walk(value, (pointer, s, isSecret) =>
        {
            (inSecret || isSecret || !s.Contains(LlmKey, StringComparison.Ordinal)).ShouldBeTrue($"the secret is sent in {at.Text}{pointer.Text}");
            return null;
        }, field);
    }

    [Fact]
    public void AnEditedPlanFileWithARecomputedFingerprint_NeverCrashesTheLoader_AndBindsSecretsOnlyToSecretFields()
    {
        var file = PlanDocument.Serialize(Original.Value);
        Edits.Sample(edit =>
        {
            var document = JsonNode.Parse(file)!;
            for (var i = 0; i < edit.Count; i++)
            {
                Mutate(document, edit.Slot + (i * 7919), edit.Kind + i, edit.Value + i, edit.Text);
            }

            // A forger who recomputes plan_fingerprint (it is a checksum of what was reviewed, not a signature).
            if (document is JsonObject root && PlanDocument.TryParseUnchecked(root.ToJsonString(), out var forged))
            {
                root["plan_fingerprint"] = PlanDocument.Fingerprint(forged);
            }

            if (!PlanDocument.TryParse(document.ToJsonString(), out var plan, out var error))
            {
                error.ShouldNotBeNullOrWhiteSpace();
                return;
            }

            foreach (var binding in plan.Personas.SelectMany(p => p.Secrets))
            {
                PersonaOps.Core.Schema.KindSchema.Persona.At(PersonaOps.Core.JsonPatch.JsonPointer.Parse(binding.Pointer))?.IsWriteOnly.ShouldBe(true);
            }

            // Whatever it holds, rendering and preparing it end in a result, never an exception.
            _ = Observed(plan);

            // What is sent holds the secret only in fields the schema marks secret.
            var byId = ApplyPreparation.IndexById(Live);
            var preparation = ApplyPreparation.Prepare(plan, Env, byId, TestKeys.A);
            foreach (var change in preparation.Changes)
            {
                AssertSecretOnlyInSecretFields(change.Body, PersonaOps.Core.JsonPatch.JsonPointer.Root);
                foreach (var op in change.Patch?.Operations ?? [])
                {
                    AssertSecretOnlyInSecretFields(op.Value, op.Path);
                }
            }
        }, iter: 3000);
    }
}
