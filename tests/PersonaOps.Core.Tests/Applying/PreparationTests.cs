using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;
using PersonaOps.Core.Planning;
using static PersonaOps.Core.Tests.Applying.ApplyData;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>Every body and patch is made, secrets resolved and checked, before the first request.</summary>
public sealed class PreparationTests
{
    private static readonly JsonObject Coach = Live("p-coach", "Coach");

    [Fact]
    public void ACreateBody_GetsItsSecretFromTheEnvironment_AndThePlanKeepsItsReference()
    {
        var plan = Plan(Create("guide", "Guide"));

        var preparation = ApplyPreparation.Prepare(plan, Env, ById(), TestKeys.A);

        preparation.CanStart.ShouldBeTrue(string.Join("\n", preparation.Problems));
        var change = preparation.Changes.ShouldHaveSingleItem();
        change.Body!["layers"]!["llm"]!["api_key"]!.GetValue<string>().ShouldBe(Secret);
        plan.Personas[0].Body!["layers"]!["llm"]!["api_key"]!.GetValue<string>().ShouldBe("${env:OPENAI_API_KEY}", "the plan value is not changed");
        change.Refusal.ShouldBeNull();
    }

    [Fact]
    public void APatch_GetsItsSecretInTheValueOfTheOperationThatHoldsIt()
    {
        var update = Update("coach", Coach, """[{"op":"add","path":"/layers/llm/api_key","value":"${env:OPENAI_API_KEY}"},{"op":"replace","path":"/system_prompt","value":"New"}]""", ApiKey());

        var change = ApplyPreparation.Prepare(Plan(update), Env, ById(Coach), TestKeys.A).Changes.Single();

        change.Patch!.ToJson().ToJsonString().ShouldContain(Secret);
        change.Patch.Operations.Count.ShouldBe(2);
        change.Refusal.ShouldBeNull();
    }

    [Fact]
    public void AMissingSecret_StopsTheWholeApply_NamingFileLineAndVariable()
    {
        var plan = Plan(Create("guide", "Guide"), Create("mentor", "Mentor"), Update("coach", Coach, """[{"op":"replace","path":"/system_prompt","value":"New"}]"""));

        var preparation = ApplyPreparation.Prepare(plan, _ => null, ById(Coach), TestKeys.A);

        preparation.CanStart.ShouldBeFalse();
        preparation.Problems.Select(PersonaOps.Core.Diagnostics.DiagnosticFormatter.FormatText).ShouldBe([
            "personas/guide.yaml(1,1): error PO3007: the environment variable OPENAI_API_KEY is not set; it holds the secret spec.layers.llm.api_key.",
            "personas/mentor.yaml(1,1): error PO3007: the environment variable OPENAI_API_KEY is not set; it holds the secret spec.layers.llm.api_key.",
        ]);
        preparation.Problems.Select(p => p.Address).ShouldBe(["persona.guide", "persona.mentor"]);
    }

    [Fact]
    public void AnEmptySecret_IsMissing_NeverSent()
    {
        var preparation = ApplyPreparation.Prepare(Plan(Create("guide", "Guide")), name => "", ById(), TestKeys.A);

        preparation.CanStart.ShouldBeFalse();
    }

    [Fact]
    public void ARotatedSecret_StopsTheApply_WithoutPrintingEitherValue()
    {
        var preparation = ApplyPreparation.Prepare(Plan(Create("guide", "Guide")), _ => "sk-APPLY-rotated-9876", ById(), TestKeys.A);

        var problem = PersonaOps.Core.Diagnostics.DiagnosticFormatter.FormatText(preparation.Problems.ShouldHaveSingleItem());
        problem.ShouldBe("personas/guide.yaml(1,1): error PO5004: the value of the secret spec.layers.llm.api_key is not the one the plan was made with; make a new plan.");
        problem.ShouldNotContain("rotated");
        problem.ShouldNotContain(Secret);
    }

    [Fact]
    public void APatchThatNoLongerApplies_IsRefusedAlone_AndTheOthersGoAhead()
    {
        // The plan removes a field the live persona no longer has (someone removed it since).
        var plan = Plan(Update("coach", Coach, """[{"op":"remove","path":"/context"}]"""), Create("guide", "Guide"));

        var preparation = ApplyPreparation.Prepare(plan, Env, ById(Coach), TestKeys.A);

        preparation.CanStart.ShouldBeTrue();
        preparation.Changes.Single(c => c.Action == PlanAction.Update).Refusal!.ShouldStartWith("the planned patch does not apply to the live persona (");
        preparation.Changes.Single(c => c.Action == PlanAction.Create).Refusal.ShouldBeNull();
    }

    [Fact]
    public void AnUpdateWhosePersonaIsGone_IsRefused_BeforeAnyRequest()
    {
        var preparation = ApplyPreparation.Prepare(Plan(Update("coach", Coach, """[{"op":"replace","path":"/system_prompt","value":"New"}]""")), Env, ById(), TestKeys.A);

        preparation.Changes.Single().Refusal.ShouldBe("persona p-coach is no longer in the account");
    }

    [Fact]
    public void APreparedChange_NeverShowsItsSecretsAsText()
    {
        var change = ApplyPreparation.Prepare(Plan(Create("guide", "Guide")), Env, ById(), TestKeys.A).Changes.Single();

        change.ToString().ShouldBe("persona.guide (create)");
        $"{change}".ShouldNotContain(Secret);
    }

    [Fact]
    public void TheSecretsToMask_AreTheValuesThePlanWillSend()
    {
        ApplyPreparation.SecretValues(Plan(Create("guide", "Guide"), Create("mentor", "Mentor")), Env).ShouldBe([Secret]);
        ApplyPreparation.SecretValues(Plan(Create("guide", "Guide")), _ => null).ShouldBeEmpty();
    }

    [Fact]
    public void NoOps_AreNotPrepared_AndTheChangesComeInApplyOrder()
    {
        var tutor = Live("p-tutor", "Tutor");
        var plan = Plan(
            Delete("tutor", tutor),
            Update("coach", Coach, """[{"op":"replace","path":"/system_prompt","value":"New"}]"""),
            NoOp("other", Live("p-other", "Other")),
            Create("zeta", "Zeta"),
            Create("alpha", "Alpha"));

        var preparation = ApplyPreparation.Prepare(plan, Env, ById(Coach, tutor), TestKeys.A);

        preparation.Changes.Select(c => c.Address).ShouldBe(["persona.alpha", "persona.zeta", "persona.coach", "persona.tutor"]);
    }
}
