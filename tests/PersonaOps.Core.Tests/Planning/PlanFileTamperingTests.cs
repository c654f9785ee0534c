using System.Text.Json.Nodes;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Tests.Planning;

/// <summary>
/// A saved plan is what was reviewed: every part a reviewer is shown (the before/after values, the notes,
/// the name) and every part apply trusts (operations, bodies, secrets, the live fingerprint its stale check
/// compares) is covered by <c>plan_fingerprint</c>, so an edit to any of them refuses the file.
/// </summary>
public sealed class PlanFileTamperingTests
{
    private static Plan SamplePlan() => new("https://tavusapi.com",
    [
        new PersonaPlan("coach", "personas/coach.yaml", 1, "p00000000c0ac", "Coach", PlanAction.Update,
            new JsonPatchDocumentBuilder().Replace("/system_prompt", "New.").Build(), null,
            [new FieldChange("/system_prompt", JsonValue.Create("Old."), JsonValue.Create("New."), false)], [], "sha256:live", ["a note"])
        {
            UncomparableSecrets = ["/layers/llm/api_key"],
            Reason = "1 field differs",
        },
        new PersonaPlan("tutor", "personas/tutor.yaml", 1, "p00000000707", "Tutor", PlanAction.NoOp, new PersonaOps.Core.JsonPatch.JsonPatchDocument([]), null,
            [], [], "hmac-sha256:live", ["layers.llm.api_key: not comparable"]) { UncomparableSecrets = ["/layers/llm/api_key"] },
    ],
    [PersonaOps.Core.Diagnostics.DiagnosticCatalog.UnknownId.At("personas/guide.yaml", new PersonaOps.Core.Diagnostics.SourcePosition(5, 7), "metadata.id p0 is not a persona of this account") with { Address = "persona.guide" }])
    { Account = TestKeys.A.Account };

    public static TheoryData<string, string> Edits() => new()
    {
        { "the shown value after", "/personas/0/changes/0/after" },
        { "the shown value before", "/personas/0/changes/0/before" },
        { "a note", "/personas/0/notes/0" },
        { "the live fingerprint", "/personas/0/live_fingerprint" },
        { "the persona name", "/personas/0/persona_name" },
        { "an uncomparable secret", "/personas/0/uncomparable_secrets/0" },
        { "an operation's value", "/personas/0/patch/0/value" },
        { "the manifest file named", "/personas/0/file" },
        { "the reason", "/personas/0/reason" },
        { "the account", "/account" },
        { "the target", "/target" },
        { "an error's message", "/errors/0/message" },
        { "a persona with nothing to do", "/personas/1/notes/0" },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void AnEditToWhatWasReviewed_RefusesThePlanFile(string what, string pointer)
    {
        var document = PlanDocument.ToJson(SamplePlan());
        PlanDocument.TryParse(document.ToJsonString(), out _, out var error).ShouldBeTrue(error);

        var parent = PersonaOps.Core.JsonPatch.JsonPointer.Parse(pointer);
        var tokens = parent.Tokens.ToArray();
        JsonNode node = document;
        foreach (var token in tokens[..^1])
        {
            node = node is JsonArray array ? array[int.Parse(token, System.Globalization.CultureInfo.InvariantCulture)]! : node[token]!;
        }

        var edit = pointer.Contains("uncomparable", StringComparison.Ordinal) ? "/edited" : "edited"; // a pointer stays a pointer
        if (node is JsonArray list)
        {
            list[int.Parse(tokens[^1], System.Globalization.CultureInfo.InvariantCulture)] = edit;
        }
        else
        {
            node[tokens[^1]] = edit;
        }

        PlanDocument.TryParse(document.ToJsonString(), out var plan, out error).ShouldBeFalse($"an edit to {what} was accepted");
        plan.ShouldBeNull();
        error.ShouldContain("modified after it was written");
    }

    [Fact]
    public void APlanThatBindsAVariableToAFieldThatIsNoSecret_IsRefused_EvenWithAMatchingFingerprint()
    {
        var plan = new Plan("https://tavusapi.com",
        [
            new PersonaPlan("coach", "personas/coach.yaml", 1, "p00000000c0ac", "Coach", PlanAction.Update,
                new JsonPatchDocumentBuilder().Replace("/system_prompt", "${env:TAVUS_API_KEY}").Build(), null,
                [new FieldChange("/system_prompt", JsonValue.Create("Old."), JsonValue.Create("(sensitive value)"), true)],
                [new SecretBinding("/system_prompt", "${env:TAVUS_API_KEY}", null)], "sha256:live", []),
        ], []) { Account = TestKeys.A.Account };

        PlanDocument.TryParse(PlanDocument.Serialize(plan), out var parsed, out var error).ShouldBeFalse();
        parsed.ShouldBeNull();
        error.ShouldContain("binds ${env:TAVUS_API_KEY} to /system_prompt of persona.coach, which is not a secret field");

        var secret = plan with { Personas = [plan.Personas[0] with { Secrets = [new SecretBinding("/layers/llm/api_key", "${env:OPENAI_API_KEY}", null)] }] };
        PlanDocument.TryParse(PlanDocument.Serialize(secret), out _, out error).ShouldBeTrue(error);
    }

    private sealed class JsonPatchDocumentBuilder
    {
        private readonly List<PersonaOps.Core.JsonPatch.PatchOperation> _operations = [];

        public JsonPatchDocumentBuilder Replace(string path, string value)
        {
            _operations.Add(PersonaOps.Core.JsonPatch.PatchOperation.Replace(PersonaOps.Core.JsonPatch.JsonPointer.Parse(path), JsonValue.Create(value)));
            return this;
        }

        public PersonaOps.Core.JsonPatch.JsonPatchDocument Build() => new(_operations);
    }
}
