using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.Kinds;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Planning;

/// <summary>
/// Identity on resolved values: which live persona a manifest manages is decided after its references are
/// resolved, and live personas read in PAL-era names (once normalised by the alias table) are the same
/// personas. Plan problems are catalogued diagnostics at the field at fault.
/// </summary>
public sealed class IdentityTests
{
    private static Manifest[] Manifests(params (string File, string Yaml)[] files)
    {
        var result = ManifestValidator.Validate(files.Select(f => new SourceFile(f.File, Encoding.UTF8.GetBytes(f.Yaml))));
        result.HasErrors.ShouldBeFalse(string.Join("\n", result.Diagnostics));
        return [.. result.Manifests];
    }

    /// <summary>persona_name's value is at column 17 of line 6 (line 7 with an id); metadata.id's at column 7 of line 5.</summary>
    private static string Yaml(string name, string personaName, string? id = null, string prompt = "You coach.") =>
        $"apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: {name}\n{(id is null ? "" : $"  id: {id}\n")}spec:\n  persona_name: {personaName}\n  system_prompt: {prompt}\n";

    private static JsonObject Live(string json) => JsonNode.Parse(json)!.AsObject();

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();

    [Fact]
    public void APersonaNameWithAReference_IsMatchedAfterResolution_SoASecondApplyCreatesNothing()
    {
        var manifests = Manifests(("personas/coach.yaml", Yaml("coach", "Coach ${env:STAGE}")));
        var env = Env(("STAGE", "prod"));

        // The first plan, against an empty account, creates "Coach prod" (not "Coach ${env:STAGE}").
        var first = Planner.Create(TestKeys.Target("test"), manifests, [], env);
        first.Errors.ShouldBeEmpty();
        var create = first.Personas.Single();
        create.Action.ShouldBe(PlanAction.Create);
        create.PersonaName.ShouldBe("Coach prod", "apply's stale check and the create-race rule match this name against live personas");
        create.Body!["persona_name"]!.GetValue<string>().ShouldBe("Coach prod");

        // After that apply, the account holds "Coach prod": the next plan manages it instead of creating another.
        var again = Planner.Create(TestKeys.Target("test"), manifests, [Live("""{"persona_id":"p0000000000a","persona_name":"Coach prod","system_prompt":"You coach."}""")], env);
        again.Errors.ShouldBeEmpty();
        var second = again.Personas.Single();
        second.Action.ShouldBe(PlanAction.NoOp);
        second.LiveId.ShouldBe("p0000000000a");
        second.PersonaName.ShouldBe("Coach prod");
    }

    [Fact]
    public void AReferenceResolvedAgainstAnotherStage_IsAnotherPersona()
    {
        var manifests = Manifests(("personas/coach.yaml", Yaml("coach", "Coach ${env:STAGE}")));
        var live = Live("""{"persona_id":"p0000000000a","persona_name":"Coach prod","system_prompt":"You coach."}""");
        var plan = Planner.Create(TestKeys.Target("test"), manifests, [live], Env(("STAGE", "staging")));
        plan.Personas.Single().Action.ShouldBe(PlanAction.Create);
        plan.Personas.Single().PersonaName.ShouldBe("Coach staging");
    }

    [Theory]
    [InlineData(null, "is not set")]
    [InlineData("", "is set but empty")]
    public void AnUnsetOrEmptyVariable_InPersonaName_IsPO3007_AtTheValue_AndNothingIsPlanned(string? stage, string expected)
    {
        var manifests = Manifests(("personas/coach.yaml", Yaml("coach", "Coach ${env:STAGE}")));
        var live = Live("""{"persona_id":"p0000000000a","persona_name":"Coach ","system_prompt":"You coach."}""");
        var plan = Planner.Create(TestKeys.Target("test"), manifests, [live], name => name == "STAGE" ? stage : null);
        plan.Personas.ShouldBeEmpty("'Coach ' must never be matched, or sent");
        var error = plan.Errors.Single();
        error.Code.ShouldBe("PO3007");
        (error.File, error.Position).ShouldBe(("personas/coach.yaml", new SourcePosition(6, 17)));
        error.Address.ShouldBe("persona.coach");
        error.Message.ShouldContain($"STAGE {expected}");
    }

    [Fact]
    public void TwoNamesThatResolveToOne_ArePO3004_OnTheSecond_AndDifferentOnesAreNot()
    {
        var manifests = Manifests(
            ("personas/a.yaml", Yaml("a", "Coach prod")),
            ("personas/b.yaml", Yaml("b", "Coach ${env:STAGE}")),
            ("personas/c.yaml", Yaml("c", "Coach $${env:STAGE}")));
        var resolved = DesiredResolver.Resolve(manifests, Env(("STAGE", "prod")), requireSecrets: false);
        var error = resolved.Diagnostics.Single();
        error.Code.ShouldBe("PO3004");
        (error.File, error.Position, error.Address).ShouldBe(("personas/b.yaml", new SourcePosition(6, 17), "persona.b"));
        error.Message.ShouldContain("'Coach prod' once its ${env:...} references are resolved");
        error.Message.ShouldContain("personas/a.yaml(6,17)");
        resolved.Resources.Select(r => r.PersonaName).ShouldBe(["Coach prod", "Coach ${env:STAGE}"], "a literal $${ is no reference, so c is another name");

        // With another stage the same manifests no longer collide.
        DesiredResolver.Resolve(manifests, Env(("STAGE", "staging")), requireSecrets: false).Diagnostics.ShouldBeEmpty();

        // And the planner never plans both: the second gets the error, the first its create.
        var plan = Planner.Create(TestKeys.Target("test"), manifests, [], Env(("STAGE", "prod")));
        plan.Personas.Select(p => p.Name).ShouldBe(["a", "c"]);
        plan.Errors.Single().Code.ShouldBe("PO3004");
    }

    [Fact]
    public void NamesThatResolveToOne_AreNoError_WhenTheManifestsPinTheirIds_AndEachPlansItsOwnPersona()
    {
        var manifests = Manifests(
            ("personas/a.yaml", Yaml("a", "Coach prod", id: "p0000000000a")),
            ("personas/b.yaml", Yaml("b", "Coach ${env:STAGE}", id: "p0000000000b")));
        var live = new[]
        {
            Live("""{"persona_id":"p0000000000a","persona_name":"Coach prod","system_prompt":"You coach."}"""),
            Live("""{"persona_id":"p0000000000b","persona_name":"Coach prod","system_prompt":"You coach."}"""),
        };

        DesiredResolver.Resolve(manifests, Env(("STAGE", "prod")), requireSecrets: false).Diagnostics.ShouldBeEmpty();
        var plan = Planner.Create(TestKeys.Target("test"), manifests, live, Env(("STAGE", "prod")));
        plan.Errors.ShouldBeEmpty();
        plan.Personas.Select(p => (p.LiveId, p.Action)).ShouldBe([("p0000000000a", PlanAction.NoOp), ("p0000000000b", PlanAction.NoOp)]);
    }

    [Fact]
    public void ResolutionBindsSecrets_WithoutTheirValues_AndResolvesEverythingElseOnce()
    {
        var yaml = "apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: coach\nspec:\n  persona_name: Coach\n  system_prompt: Hello ${env:WHO}, price $${literal}\n"
            + "  layers:\n    llm:\n      model: m\n      base_url: https://${env:HOST}/v1\n      api_key: ${env:KEY}\n      headers:\n        Authorization: Bearer ${env:KEY}\n";
        var manifest = Manifests(("personas/coach.yaml", yaml)).Single();
        var resolved = DesiredResolver.Resolve([manifest], Env(("WHO", "${env:KEY}"), ("HOST", "llm.example.com"), ("KEY", "sk-secret-value")), requireSecrets: true);
        resolved.Diagnostics.ShouldBeEmpty();
        var resource = resolved.Resources.Single();
        resource.Spec!["system_prompt"]!.GetValue<string>().ShouldBe("Hello ${env:KEY}, price ${literal}", "a value is inserted once, never resolved again");
        resource.Spec["layers"]!["llm"]!["base_url"]!.GetValue<string>().ShouldBe("https://llm.example.com/v1");
        resource.Spec["layers"]!["llm"]!["api_key"]!.GetValue<string>().ShouldBe("${env:KEY}");
        resource.Spec.ToJsonString().ShouldNotContain("sk-secret-value");
        resource.Secrets.Select(s => (s.Pointer.Text, s.Reference)).ShouldBe([("/layers/llm/api_key", "${env:KEY}"), ("/layers/llm/headers/Authorization", "Bearer ${env:KEY}")]);
        resolved.SecretVariables.ShouldBe(["KEY"]);
        manifest.Spec!["system_prompt"]!.GetValue<string>().ShouldBe("Hello ${env:WHO}, price $${literal}", "the manifest itself is left as written");

        // plan does not need a secret's variable; apply does, at the secret's position.
        DesiredResolver.Resolve([manifest], Env(("WHO", "x"), ("HOST", "h")), requireSecrets: false).Diagnostics.ShouldBeEmpty();
        var apply = DesiredResolver.Resolve([manifest], Env(("WHO", "x"), ("HOST", "h"), ("KEY", "")), requireSecrets: true);
        apply.Diagnostics.Select(d => (d.Code, d.Position.Line)).ShouldBe([("PO3007", 12), ("PO3007", 14)]);
        apply.Resources.ShouldBeEmpty();
    }

    [Fact]
    public void AnAmbiguousName_IsPO5001_AtPersonaName()
    {
        var manifests = Manifests(("personas/coach.yaml", Yaml("coach", "Coach")));
        var plan = Planner.Create(TestKeys.Target("test"), manifests,
            [Live("""{"persona_id":"p000000000001","persona_name":"Coach"}"""), Live("""{"pal_id":"p000000000002","pal_name":"Coach"}""").Normalized()], _ => null);
        var error = plan.Errors.Single();
        (error.Code, error.File, error.Position, error.Address).ShouldBe(("PO5001", "personas/coach.yaml", new SourcePosition(6, 17), "persona.coach"));
        error.Message.ShouldContain("2 live personas are named 'Coach' (p000000000001, p000000000002)");
        DiagnosticFormatter.FormatText(error).ShouldStartWith("personas/coach.yaml(6,17): error PO5001: ");
    }

    [Fact]
    public void AnIdNotInTheAccount_IsPO5002_AtMetadataId()
    {
        var manifests = Manifests(("personas/coach.yaml", Yaml("coach", "Coach", id: "p00000000000f")));
        var error = Planner.Create(TestKeys.Target("test"), manifests, [Live("""{"persona_id":"p000000000001","persona_name":"Coach"}""")], _ => null).Errors.Single();
        (error.Code, error.Position).ShouldBe(("PO5002", new SourcePosition(5, 7)));
        error.Message.ShouldContain("metadata.id p00000000000f is not a persona of this account");
    }

    [Fact]
    public void TwoManifestsClaimingOnePersona_IsPO5003_OnTheSecondClaim()
    {
        var manifests = Manifests(
            ("personas/a.yaml", Yaml("a", "Alpha", id: "p000000000001")),
            ("personas/b.yaml", Yaml("b", "Coach ${env:STAGE}")));
        var plan = Planner.Create(TestKeys.Target("test"), manifests, [Live("""{"pal_id":"p000000000001","pal_name":"Coach prod"}""").Normalized()], Env(("STAGE", "prod")));
        plan.Personas.Single().Name.ShouldBe("a");
        var error = plan.Errors.Single();
        (error.Code, error.File, error.Position, error.Address).ShouldBe(("PO5003", "personas/b.yaml", new SourcePosition(6, 17), "persona.b"));
        error.Message.ShouldContain("both manage persona p000000000001");
    }

    [Fact]
    public void APalEraLivePersona_OnceNormalised_IsUpdatedOrLeftAlone_NeverCreated()
    {
        var yaml = Yaml("coach", "Coach", prompt: "You coach.") + "  default_replica_id: r665388ec672\n  layers:\n    conversational_flow:\n      replica_interruptibility: low\n";
        var manifests = Manifests(("personas/coach.yaml", yaml));
        var pal = Live("""
            {"pal_id":"p0000000000b","pal_name":"Coach","pal_type":"user","system_prompt":"You coach.","default_face_id":"r665388ec672",
             "layers":{"conversational_flow":{"pal_interruptibility":"low"}},"created_at":"2026-11-01T00:00:00Z"}
            """);

        // The bug this guards against: read as it comes, the persona is not found and would be created again.
        Planner.Create(TestKeys.Target("test"), manifests, [pal], _ => null).Personas.Single().Action.ShouldBe(PlanAction.Create);

        var same = Planner.Create(TestKeys.Target("test"), manifests, [pal.Normalized()], _ => null).Personas.Single();
        (same.Action, same.LiveId).ShouldBe((PlanAction.NoOp, "p0000000000b"));

        var edited = Planner.Create(TestKeys.Target("test"), Manifests(("personas/coach.yaml", yaml.Replace("You coach.", "You coach kindly.", StringComparison.Ordinal))), [pal.Normalized()], _ => null).Personas.Single();
        edited.Action.ShouldBe(PlanAction.Update);
        edited.Patch.Operations.Select(o => $"{o.Op} {o.Path}").ShouldBe(["Replace /system_prompt"]);
    }

    [Fact]
    public void ThePlanFile_KeepsErrorsReadable_WithTheirCodesAndColumns_AndReadsOlderOnes()
    {
        var manifests = Manifests(("personas/coach.yaml", Yaml("coach", "Coach", id: "p00000000000f")));
        var plan = Planner.Create(TestKeys.Target("test"), manifests, [], _ => null);
        var json = PlanDocument.ToJson(plan);
        var error = json["errors"]![0]!.AsObject();
        (error["name"]!.GetValue<string>(), error["file"]!.GetValue<string>(), error["line"]!.GetValue<int>()).ShouldBe(("coach", "personas/coach.yaml", 5));
        (error["code"]!.GetValue<string>(), error["column"]!.GetValue<int>(), error["address"]!.GetValue<string>(), error["severity"]!.GetValue<string>()).ShouldBe(("PO5002", 7, "persona.coach", "error"));

        PlanDocument.TryParse(PlanDocument.Serialize(plan), out var read, out var problem).ShouldBeTrue(problem);
        read!.Errors.Single().ShouldBe(plan.Errors.Single());

        error.Remove("code");
        error.Remove("column");
        error.Remove("address");
        error.Remove("severity");

        // The errors are covered by the plan's fingerprint: an older writer's would match its own content.
        PlanDocument.TryParse(json.ToJsonString(), out _, out problem).ShouldBeFalse();
        problem.ShouldContain("modified after it was written");
        PlanDocument.TryParseUnchecked(json.ToJsonString(), out var unverified).ShouldBeTrue();
        json["plan_fingerprint"] = PlanDocument.Fingerprint(unverified);
        PlanDocument.TryParse(json.ToJsonString(), out var older, out problem).ShouldBeTrue(problem);
        var old = older!.Errors.Single();
        (old.Code, old.Position, old.Address).ShouldBe(("PO5000", new SourcePosition(5, 1), "persona.coach"));
    }
}

internal static class LiveExtensions
{
    public static JsonObject Normalized(this JsonObject persona) => PersonaKind.Identity.Normalize(persona);
}
