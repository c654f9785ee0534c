using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;
using PersonaOps.Core.Planning;
using static PersonaOps.Core.Tests.Applying.ApplyData;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>From what the API answered, what became of each change: every outcome, and the answers that lie.</summary>
public sealed class ClassifierTests
{
    private static readonly JsonObject Coach = Live("p-coach", "Coach");
    private static readonly HashSet<string> Known = ["p-coach", "p-tutor"];

    private static PreparedChange Prepared(PersonaPlan persona) =>
        ApplyPreparation.Prepare(Plan(persona), Env, ById(Coach, Live("p-tutor", "Tutor")), TestKeys.A).Changes.Single();

    private static readonly PreparedChange Creating = Prepared(Create("guide", "Guide"));
    private static readonly PreparedChange Updating = Prepared(Update("coach", Coach, """[{"op":"replace","path":"/system_prompt","value":"New"},{"op":"remove","path":"/layers/llm/model"}]"""));
    private static readonly PreparedChange Deleting = Prepared(Delete("tutor", Live("p-tutor", "Tutor")));

    [Fact]
    public void ACreate_IsApplied_WithTheIdTavusGave()
    {
        var result = ApplyClassifier.Classify(Creating, new ApiAnswer.Created("p-new", Recovered: false), Known);

        result.ShouldBe(new ResourceResult("persona.guide", "persona", PlanAction.Create, "p-new", ApplyOutcome.Applied, "created p-new"));
        ApplyClassifier.Classify(Creating, new ApiAnswer.Created("p-new", Recovered: true), Known).Message
            .ShouldBe("created p-new (confirmed by listing after an interrupted request)");
    }

    [Fact]
    public void ACreateAnsweredWithTheIdOfAnExistingPersona_IsALie_AndFails_WithoutTakingTheId()
    {
        var result = ApplyClassifier.Classify(Creating, new ApiAnswer.Created("p-tutor", Recovered: false), Known);

        result.Outcome.ShouldBe(ApplyOutcome.Failed);
        result.Id.ShouldBeNull("an id taken as this run's creation could be deleted as a race loser's copy");
        result.Message.ShouldContain("p-tutor");
    }

    [Theory]
    [InlineData("")]
    [InlineData("p 1")]
    [InlineData("p\u001b[2Jx")]
    [InlineData("../personas")]
    public void ACreateAnsweredWithSomethingThatIsNoId_Fails(string id)
    {
        var result = ApplyClassifier.Classify(Creating, new ApiAnswer.Created(id, Recovered: false), Known);

        result.Outcome.ShouldBe(ApplyOutcome.Failed);
        result.Id.ShouldBeNull();
        result.Message.ShouldNotContain("\u001b");
    }

    /// <summary>The coach as the update makes it: the planned prompt, the model removed.</summary>
    private static JsonObject Target() => new() { ["persona_id"] = "p-coach", ["persona_name"] = "Coach", ["system_prompt"] = "New", ["layers"] = new JsonObject { ["llm"] = new JsonObject() } };

    [Fact]
    public void APatchWhoseAnswerIsTheTarget_IsApplied_WithoutReadingBack()
    {
        var answered = new ApiAnswer.Patched(NotModified: false, Answer: Target());

        ApplyClassifier.NeedsReadBack(Updating, answered).ShouldBeFalse();
        ApplyClassifier.Classify(Updating, answered, Known)
            .ShouldBe(new ResourceResult("persona.coach", "persona", PlanAction.Update, "p-coach", ApplyOutcome.Applied, "updated p-coach"));
    }

    [Fact]
    public void APatchWhoseAnswerProvesNothing_IsReadBack_AndAppliedOnlyWhenTheReadBackShowsTheTarget()
    {
        // An empty or other body, a 204, a 304, or a 200 whose persona is still the old one: none is proof.
        foreach (var answered in new ApiAnswer.Patched[] { new(false), new(false, Answer: Coach), new(true), new(true, Answer: Target()) })
        {
            ApplyClassifier.NeedsReadBack(Updating, answered).ShouldBeTrue(answered.ToString());
        }

        ApplyClassifier.Classify(Updating, new ApiAnswer.Patched(false, Coach, new ReadBack(Target())), Known)
            .ShouldBe(new ResourceResult("persona.coach", "persona", PlanAction.Update, "p-coach", ApplyOutcome.Applied, "updated p-coach (confirmed by reading back)"));
        var unchanged = ApplyClassifier.Classify(Updating, new ApiAnswer.Patched(true, null, new ReadBack(Target())), Known);
        unchanged.Outcome.ShouldBe(ApplyOutcome.Unchanged);
        unchanged.Message.ShouldBe("updated p-coach (Tavus reported no change; reading back shows it already as planned)");
        unchanged.Succeeded.ShouldBeTrue();
    }

    [Theory]
    [InlineData(false, "success")]
    [InlineData(true, "304 (no change)")]
    public void APatchAnsweredWithSuccess_ThatTheReadBackDoesNotShow_IsNotConverged_NamingTheFields(bool notModified, string said)
    {
        var result = ApplyClassifier.Classify(Updating, new ApiAnswer.Patched(notModified, null, new ReadBack(Coach)), Known);

        result.Outcome.ShouldBe(ApplyOutcome.NotConverged);
        result.Succeeded.ShouldBeFalse();
        // The model is removed, and Tavus chooses one then: whichever it shows is as planned.
        result.Fields.ShouldBe(["/system_prompt"]);
        result.Message.ShouldBe($"Tavus answered the update of p-coach with {said}, but reading it back, system_prompt is not as planned");
        ApplyReportRenderer.Line(result).ShouldStartWith("persona.coach: not converged: Tavus answered");
    }

    [Fact]
    public void ACreate_IsCheckedAgainstTheListingAfterTheCreates_ASecretNotReturnedNotHeldAgainstIt()
    {
        var created = ApplyClassifier.Classify(Creating, new ApiAnswer.Created("p-new", Recovered: false), Known);
        var stored = new JsonObject { ["persona_id"] = "p-new", ["persona_name"] = "Guide", ["system_prompt"] = "You help.", ["layers"] = new JsonObject { ["llm"] = new JsonObject { ["model"] = "m" } } };

        ApplyClassifier.CheckCreated(Creating, created, stored).ShouldBeSameAs(created);
        ApplyClassifier.CheckCreated(Creating, created, null).ShouldBeSameAs(created, "absent from a listing proves nothing");

        stored["system_prompt"] = "Something else.";
        var notConverged = ApplyClassifier.CheckCreated(Creating, created, stored);
        notConverged.Outcome.ShouldBe(ApplyOutcome.NotConverged);
        notConverged.Id.ShouldBe("p-new");
        notConverged.Fields.ShouldBe(["/system_prompt"]);
        notConverged.Message.ShouldBe("Tavus created p-new, but listing it shows system_prompt not as sent");
        notConverged.Message.ShouldNotContain(Secret);
    }

    [Fact]
    public void APatchAnsweredWithSuccess_WhosePersonaIsGoneOrWasNotRead_Fails()
    {
        ApplyClassifier.Classify(Updating, new ApiAnswer.Patched(false, null, new ReadBack(null)), Known).Message
            .ShouldBe("Tavus answered the update of p-coach with success, but the persona is gone when read back");
        ApplyClassifier.Classify(Updating, new ApiAnswer.Patched(false), Known).Outcome.ShouldBe(ApplyOutcome.Failed);
    }

    [Fact]
    public void ARefusedPatch_WhoseReadBackShowsItApplied_IsApplied()
    {
        // The first attempt was committed and its answer lost; the retry's remove found nothing to remove.
        var now = new JsonObject { ["persona_id"] = "p-coach", ["persona_name"] = "Coach", ["system_prompt"] = "New", ["layers"] = new JsonObject { ["llm"] = new JsonObject() } };

        var result = ApplyClassifier.Classify(Updating, new ApiAnswer.PatchRefused(422, "PATCH /v2/personas/p-coach answered 422", now), Known);

        result.Outcome.ShouldBe(ApplyOutcome.Applied);
        result.Message.ShouldBe("updated p-coach (confirmed by reading back after an interrupted request)");
    }

    [Fact]
    public void ARefusedPatch_WhoseReadBackDoesNotShowIt_OrIsGone_Fails_WithTheRefusal()
    {
        var notApplied = ApplyClassifier.Classify(Updating, new ApiAnswer.PatchRefused(422, "answered 422: bad patch", Coach), Known);
        var gone = ApplyClassifier.Classify(Updating, new ApiAnswer.PatchRefused(400, "answered 400", null), Known);

        notApplied.Outcome.ShouldBe(ApplyOutcome.Failed);
        notApplied.Message.ShouldBe("answered 422: bad patch");
        gone.Outcome.ShouldBe(ApplyOutcome.Failed);
    }

    [Fact]
    public void OnlyA400Or422_IsWorthReadingBack()
    {
        ApplyClassifier.ShouldReadBack(400).ShouldBeTrue();
        ApplyClassifier.ShouldReadBack(422).ShouldBeTrue();
        ApplyClassifier.ShouldReadBack(409).ShouldBeFalse("409 is PAL Maker's unpublished changes: a refusal, not a lost answer");
        ApplyClassifier.ShouldReadBack(500).ShouldBeFalse();
        ApplyClassifier.ShouldReadBack(null).ShouldBeFalse();

        // Even given a read-back that matches, a refusal that is not a 400 or 422 stays a failure.
        var now = new JsonObject { ["persona_id"] = "p-coach", ["system_prompt"] = "New", ["layers"] = new JsonObject { ["llm"] = new JsonObject() } };
        ApplyClassifier.Classify(Updating, new ApiAnswer.PatchRefused(409, "unpublished changes", now), Known).Outcome.ShouldBe(ApplyOutcome.Failed);
    }

    [Fact]
    public void ADelete_IsApplied_AndOneOfAPersonaAlreadyGone_IsUnchanged()
    {
        ApplyClassifier.Classify(Deleting, new ApiAnswer.Deleted(AlreadyGone: false), Known)
            .ShouldBe(new ResourceResult("persona.tutor", "persona", PlanAction.Delete, "p-tutor", ApplyOutcome.Applied, "deleted p-tutor"));
        var gone = ApplyClassifier.Classify(Deleting, new ApiAnswer.Deleted(AlreadyGone: true), Known);
        gone.Outcome.ShouldBe(ApplyOutcome.Unchanged);
        gone.Message.ShouldBe("already gone: p-tutor");
    }

    [Fact]
    public void AFailure_IsFailed_WithTheApisMessage()
    {
        var result = ApplyClassifier.Classify(Deleting, new ApiAnswer.Failed("DELETE /v2/personas/p-tutor answered 500"), Known);

        result.Outcome.ShouldBe(ApplyOutcome.Failed);
        result.Id.ShouldBe("p-tutor");
        result.Message.ShouldBe("DELETE /v2/personas/p-tutor answered 500");
    }

    [Fact]
    public void ARequestAbandonedAfterAnInterrupt_IsAbandoned_OutcomeUnknown()
    {
        var created = ApplyClassifier.Classify(Creating, new ApiAnswer.Abandoned(), Known);
        var updated = ApplyClassifier.Classify(Updating, new ApiAnswer.Abandoned(), Known);

        created.Outcome.ShouldBe(ApplyOutcome.Abandoned);
        created.Id.ShouldBeNull("no id is known for a create whose answer never came");
        updated.Id.ShouldBe("p-coach");
        updated.Message.ShouldBe("abandoned after an interrupt; whether Tavus applied it is unknown, and the next plan shows it");
    }

    [Fact]
    public void AnAnswerThatDoesNotFitTheAction_IsAFailure_NotASuccess()
    {
        ApplyClassifier.Classify(Creating, new ApiAnswer.Deleted(AlreadyGone: false), Known).Outcome.ShouldBe(ApplyOutcome.Failed);
        ApplyClassifier.Classify(Deleting, new ApiAnswer.Patched(NotModified: false, Answer: Target()), Known).Outcome.ShouldBe(ApplyOutcome.Failed);
    }

    [Fact]
    public void ARefusedChange_FailsWithItsReason_AndAChangeNeverStarted_IsNotAttempted()
    {
        ApplyClassifier.Refused(Updating, "persona p-coach is no longer in the account")
            .ShouldBe(new ResourceResult("persona.coach", "persona", PlanAction.Update, "p-coach", ApplyOutcome.Failed, "persona p-coach is no longer in the account"));
        ApplyClassifier.NotAttempted(Creating).Outcome.ShouldBe(ApplyOutcome.NotAttempted);
    }
}
