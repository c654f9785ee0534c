using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Planning;
using PersonaOps.Core.Resolving;
using PersonaOps.Core.Validation;

namespace PersonaOps.Core.Tests.Planning;

/// <summary>
/// Three-way plans: with the manifests as last reconciled (the base), a plan tells this change's edits from
/// edits made outside PersonaOps (which apply reverts) and from conflicts (both, differently); it follows a
/// rename to the persona that carried the base's name, sends secrets the change adds or re-references even
/// when Tavus hides them, and reports manifests removed from Git without deleting anything.
/// </summary>
public sealed class ThreeWayTests
{
    private static string Yaml(string name = "coach", string personaName = "Coach", string prompt = "You coach.", string llm = "") =>
        $"apiVersion: personaops/v1\nkind: Persona\nmetadata:\n  name: {name}\nspec:\n  persona_name: {personaName}\n  system_prompt: {prompt}\n" +
        $"  layers:\n    llm:\n      model: m\n{llm}";

    private static IReadOnlyList<DesiredResource> Resolve(params string[] yamls)
    {
        var result = ManifestValidator.Validate(yamls.Select((y, i) => new SourceFile($"personas/{i}.yaml", Encoding.UTF8.GetBytes(y))));
        result.HasErrors.ShouldBeFalse(string.Join("\n", result.Diagnostics));
        var resolved = DesiredResolver.Resolve(result.Manifests, Env, requireSecrets: false);
        resolved.HasErrors.ShouldBeFalse(string.Join("\n", resolved.Diagnostics));
        return resolved.Resources;
    }

    private static string? Env(string name) => name switch { "KEY_A" => "sk-aaaaaaaaaaaa", "KEY_B" => "sk-bbbbbbbbbbbb", _ => null };

    /// <summary>A live persona as Tavus returns it: secrets omitted.</summary>
    private static JsonObject Live(string personaName = "Coach", string prompt = "You coach.", string id = "p0000000000a") =>
        new() { ["persona_id"] = id, ["persona_name"] = personaName, ["system_prompt"] = prompt, ["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m" } } };

    private static Plan PlanOf(IReadOnlyList<DesiredResource>? @base, IReadOnlyList<DesiredResource> head, params JsonObject[] live)
    {
        var plan = Planner.Create(TestKeys.Target("test"), new ResolveResult(head, [], new HashSet<string>()), live, Env, new PlanOptions { Base = @base is null ? null : new PlanBase("abc123", @base) });
        plan.Errors.ShouldBeEmpty();
        return plan;
    }

    private static string[] Paths(PersonaPlan persona) => [.. persona.Patch.Operations.Select(o => o.Path.Text)];

    [Fact]
    public void ALiveEditOnAFieldTheChangeLeavesAlone_IsAnOutsideChange_ThatApplyReverts()
    {
        var plan = PlanOf(Resolve(Yaml()), Resolve(Yaml()), Live(prompt: "Edited in the dashboard."));

        var persona = plan.Personas.Single();
        persona.Action.ShouldBe(PlanAction.Update);
        persona.OutsideChanges.ShouldBe(["/system_prompt"]);
        persona.Conflicts.ShouldBeEmpty();
        plan.Base.ShouldBe("abc123");
    }

    [Fact]
    public void AFieldThisChangeEdits_WhileLiveStillHoldsTheBase_IsThisChangesOwn()
    {
        var persona = PlanOf(Resolve(Yaml()), Resolve(Yaml(prompt: "You coach kindly.")), Live()).Personas.Single();

        persona.Action.ShouldBe(PlanAction.Update);
        persona.OutsideChanges.ShouldBeEmpty();
        persona.Conflicts.ShouldBeEmpty();
    }

    [Fact]
    public void AFieldBothEditedDifferently_IsAConflict_AndTheSameEditIsNone()
    {
        var conflict = PlanOf(Resolve(Yaml()), Resolve(Yaml(prompt: "You coach kindly.")), Live(prompt: "Edited in the dashboard.")).Personas.Single();
        var same = PlanOf(Resolve(Yaml()), Resolve(Yaml(prompt: "You coach kindly.")), Live(prompt: "You coach kindly.")).Personas.Single();

        conflict.Conflicts.ShouldBe(["/system_prompt"]);
        conflict.OutsideChanges.ShouldBeEmpty();
        PlanOf(null, Resolve(Yaml(prompt: "You coach kindly.")), Live(prompt: "Edited in the dashboard.")).Personas.Single().Conflicts.ShouldBeEmpty("without a base, nothing can be attributed");
        same.Action.ShouldBe(PlanAction.NoOp);
    }

    [Fact]
    public void OneChangeAndOneOutsideEdit_OnTwoFields_AreToldApart()
    {
        var persona = PlanOf(Resolve(Yaml()), Resolve(Yaml(personaName: "Coach", prompt: "You coach.", llm: "      speculative_inference: false\n")),
            Live(prompt: "Edited in the dashboard.")).Personas.Single();

        Paths(persona).ShouldBe(["/layers/llm/speculative_inference", "/system_prompt"], ignoreOrder: true);
        persona.OutsideChanges.ShouldBe(["/system_prompt"]);
        persona.Conflicts.ShouldBeEmpty();
    }

    [Fact]
    public void ARenamedPersonaName_UpdatesThePersonaThatCarriedTheBaseName_InsteadOfCreatingASecond()
    {
        var renamed = PlanOf(Resolve(Yaml()), Resolve(Yaml(personaName: "Head Coach")), Live()).Personas.Single();
        var twoWay = PlanOf(null, Resolve(Yaml(personaName: "Head Coach")), Live()).Personas.Single();

        renamed.Action.ShouldBe(PlanAction.Update);
        renamed.LiveId.ShouldBe("p0000000000a");
        renamed.RenamedFrom.ShouldBe("Coach");
        Paths(renamed).ShouldBe(["/persona_name"]);
        twoWay.Action.ShouldBe(PlanAction.Create, "without a base, the new name matches nothing");
    }

    [Fact]
    public void ARename_WhenAPersonaAlreadyCarriesTheNewName_ManagesThatOne()
    {
        var persona = PlanOf(Resolve(Yaml()), Resolve(Yaml(personaName: "Head Coach")), Live(), Live(personaName: "Head Coach", id: "p0000000000b")).Personas.Single();

        persona.LiveId.ShouldBe("p0000000000b");
        persona.RenamedFrom.ShouldBeNull();
    }

    [Fact]
    public void ARenamedMetadataName_WithThePersonaUnchanged_IsTheSameManifest_NotARemoval()
    {
        var plan = PlanOf(Resolve(Yaml()), Resolve(Yaml(name: "head-coach")), Live());

        plan.Personas.Single().Action.ShouldBe(PlanAction.NoOp);
        plan.Unmanaged.ShouldBeEmpty();
    }

    [Fact]
    public void AManifestRemovedFromGit_IsReportedNoLongerManaged_AndNothingIsDeleted()
    {
        var plan = PlanOf(Resolve(Yaml(), Yaml(name: "mentor", personaName: "Mentor")), Resolve(Yaml()), Live(), Live(personaName: "Mentor", id: "p0000000000b"));

        plan.Personas.Select(p => p.Action).ShouldBe([PlanAction.NoOp]);
        plan.Unmanaged.ShouldBe([new UnmanagedResource("persona.mentor", "personas/1.yaml", "p0000000000b")]);
        plan.HasChanges.ShouldBeFalse();
    }

    [Fact]
    public void ASecretTheChangeAdds_IsSent_EvenThoughTavusHidesSecrets()
    {
        var key = "      api_key: ${env:KEY_A}\n";
        var added = PlanOf(Resolve(Yaml()), Resolve(Yaml(llm: key)), Live()).Personas.Single();
        var twoWay = PlanOf(null, Resolve(Yaml(llm: key)), Live()).Personas.Single();
        var unchanged = PlanOf(Resolve(Yaml(llm: key)), Resolve(Yaml(llm: key)), Live()).Personas.Single();

        added.Action.ShouldBe(PlanAction.Update);
        added.Patch.Operations.Single().ShouldBe(PatchOperation.Add(JsonPointer.Parse("/layers/llm/api_key"), "${env:KEY_A}"));
        added.Secrets.Single().Reference.ShouldBe("${env:KEY_A}");
        twoWay.Action.ShouldBe(PlanAction.NoOp, "two-way, a hidden secret cannot be compared");
        unchanged.Action.ShouldBe(PlanAction.NoOp);
        unchanged.UncomparableSecrets.ShouldBe(["/layers/llm/api_key"]);
    }

    [Fact]
    public void ASecretWhoseReferenceChanged_IsSent()
    {
        var persona = PlanOf(Resolve(Yaml(llm: "      api_key: ${env:KEY_A}\n")), Resolve(Yaml(llm: "      api_key: ${env:KEY_B}\n")), Live()).Personas.Single();

        persona.Patch.Operations.Single().ShouldBe(PatchOperation.Add(JsonPointer.Parse("/layers/llm/api_key"), "${env:KEY_B}"));
        persona.OutsideChanges.ShouldBeEmpty();
        persona.Conflicts.ShouldBeEmpty();
    }

    [Fact]
    public void ASecretTheChangeRemoves_IsRemoved_EvenThoughTavusHidesIt()
    {
        var persona = PlanOf(Resolve(Yaml(llm: "      api_key: ${env:KEY_A}\n")), Resolve(Yaml()), Live()).Personas.Single();

        persona.Action.ShouldBe(PlanAction.Update);
        persona.Patch.Operations.Single().ShouldBe(PatchOperation.Remove(JsonPointer.Parse("/layers/llm/api_key")));
        persona.Changes.Single().Sensitive.ShouldBeTrue();
    }

    [Fact]
    public void TheText_ShowsConflictsFirst_OutsideChangesUnderTheirOwnHeading_AndMarksEachField()
    {
        var plan = PlanOf(Resolve(Yaml(), Yaml(name: "mentor", personaName: "Mentor", prompt: "You mentor."), Yaml(name: "old", personaName: "Old")),
            Resolve(Yaml(prompt: "You coach kindly."), Yaml(name: "mentor", personaName: "Mentor", prompt: "You mentor.")),
            Live(prompt: "Edited in the dashboard."), Live(personaName: "Mentor", prompt: "Mentor edited live.", id: "p0000000000b"), Live(personaName: "Old", id: "p0000000000c"));

        var text = Core.Rendering.PlanTextRenderer.Render(plan);

        var conflicts = text.IndexOf("Conflicts: these fields were changed by this change and also outside PersonaOps since abc123", StringComparison.Ordinal);
        var actions = text.IndexOf("PersonaOps will perform the following actions", StringComparison.Ordinal);
        var outside = text.IndexOf("Outside changes: these fields were edited outside PersonaOps", StringComparison.Ordinal);
        conflicts.ShouldBeGreaterThan(-1, text);
        conflicts.ShouldBeLessThan(actions);
        text.ShouldContain("  persona.coach (personas/0.yaml) [p0000000000a]: system_prompt\n");
        outside.ShouldBeGreaterThan(actions);
        text.ShouldContain("  persona.mentor (personas/1.yaml) [p0000000000b]: system_prompt\n");
        text.ShouldContain("# conflict: also changed outside PersonaOps since the base, to another value");
        text.ShouldContain("# changed outside PersonaOps since the base; apply sets it back to Git's value");
        text.ShouldContain("No longer managed: these manifests were in abc123 and are gone from Git. Nothing is deleted");
        text.ShouldContain("  persona.old (personas/2.yaml) [p0000000000c]\n");
        text.ShouldContain("Plan: 0 to add, 2 to change, 0 to delete.");
    }

    [Fact]
    public void TheMarkdown_PutsConflictsAndOutsideChangesAboveTheFold()
    {
        var plan = PlanOf(Resolve(Yaml(), Yaml(name: "mentor", personaName: "Mentor", prompt: "You mentor.")),
            Resolve(Yaml(prompt: "You coach kindly."), Yaml(name: "mentor", personaName: "Mentor", prompt: "You mentor.")),
            Live(prompt: "Edited in the dashboard."), Live(personaName: "Mentor", prompt: "Mentor edited live.", id: "p0000000000b"));

        var markdown = Core.Rendering.PlanMarkdownRenderer.Render(plan);

        var fold = markdown.IndexOf("<details>", StringComparison.Ordinal);
        markdown.IndexOf("> [!CAUTION]\n> **Conflicts**", StringComparison.Ordinal).ShouldBeInRange(0, fold);
        markdown.IndexOf("> - <code>persona.coach</code> (<code>p0000000000a</code>): <code>system", StringComparison.Ordinal).ShouldBeInRange(0, fold, markdown);
        markdown.IndexOf("> [!WARNING]\n> **Outside changes**", StringComparison.Ordinal).ShouldBeInRange(0, fold);
        markdown.ShouldContain("Three-way plan against the base <code>abc123</code>");
    }
}
