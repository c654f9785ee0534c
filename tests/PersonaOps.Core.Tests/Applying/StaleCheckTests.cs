using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;
using PersonaOps.Core.Planning;
using static PersonaOps.Core.Tests.Applying.ApplyData;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>A saved plan is applied exactly as reviewed, or refused whole: each way it can have gone stale.</summary>
public sealed class StaleCheckTests
{
    private static readonly JsonObject Coach = Live("p-coach", "Coach");
    private static readonly JsonObject Tutor = Live("p-tutor", "Tutor");

    private static readonly Plan Saved = Plan(
        Update("coach", Coach, """[{"op":"replace","path":"/system_prompt","value":"New"}]"""),
        Delete("tutor", Tutor),
        Create("guide", "Guide"),
        NoOp("other", Live("p-other", "Other")));

    private static Dictionary<string, JsonObject?> Reads(params JsonObject[] now) =>
        now.ToDictionary(p => p["persona_id"]!.GetValue<string>(), p => (JsonObject?)p);

    [Fact]
    public void OnlyTheUpdatedAndDeletedPersonas_AreReadAgain()
    {
        StaleCheck.IdsToRead(Saved).ShouldBe(["p-coach", "p-tutor"], ignoreOrder: true);
    }

    [Fact]
    public void AnUnchangedAccount_IsNotStale_AndGivesTheDocumentsToApplyTo()
    {
        var result = StaleCheck.Check(Saved, [Coach, Tutor], Reads(Coach.DeepClone().AsObject(), Tutor), TestKeys.A);

        result.IsStale.ShouldBeFalse();
        result.Live.Keys.ShouldBe(["p-coach", "p-tutor"], ignoreOrder: true);
    }

    [Fact]
    public void AChangedPersona_IsStale_EvenWhenOnlyItsOrderOfKeysIsTheSame()
    {
        var edited = Coach.DeepClone().AsObject();
        edited["system_prompt"] = "Edited in the dashboard";

        var result = StaleCheck.Check(Saved, [edited, Tutor], Reads(edited, Tutor), TestKeys.A);

        var stale = result.Stale.ShouldHaveSingleItem();
        stale.Reason.ShouldBe(StaleReason.Changed);
        stale.Message.ShouldBe("persona.coach (p-coach) changed since the plan was made");
        result.IsStale.ShouldBeTrue();
    }

    [Fact]
    public void APersonaThatIsGone_IsStale_WhetherTheGetSaidUnknownOrWasNeverAnswered()
    {
        var unknown = StaleCheck.Check(Saved, [Coach], new Dictionary<string, JsonObject?> { ["p-coach"] = Coach, ["p-tutor"] = null }, TestKeys.A);
        var absent = StaleCheck.Check(Saved, [Coach], Reads(Coach), TestKeys.A);

        foreach (var result in new[] { unknown, absent })
        {
            var stale = result.Stale.ShouldHaveSingleItem();
            stale.Reason.ShouldBe(StaleReason.Gone);
            stale.Message.ShouldBe("persona.tutor (p-tutor) no longer exists");
        }
    }

    [Fact]
    public void ACreateWhoseNameNowExists_IsStale_ForItWouldMakeADuplicate()
    {
        var result = StaleCheck.Check(Saved, [Coach, Tutor, Live("p-guide", "Guide")], Reads(Coach, Tutor), TestKeys.A);

        var stale = result.Stale.ShouldHaveSingleItem();
        stale.Reason.ShouldBe(StaleReason.NameTaken);
        stale.Message.ShouldBe("persona.guide: a persona named 'Guide' now exists");
    }

    [Fact]
    public void AServerAnsweringTheGetWithAnotherPersona_IsStale()
    {
        // A lying or confused server: the GET of p-coach answers with p-tutor's document.
        var result = StaleCheck.Check(Saved, [Coach, Tutor], new Dictionary<string, JsonObject?> { ["p-coach"] = Tutor, ["p-tutor"] = Tutor }, TestKeys.A);

        result.Stale.ShouldHaveSingleItem().Address.ShouldBe("persona.coach");
    }

    [Fact]
    public void EveryStalePersona_IsListed_NotOnlyTheFirst()
    {
        var result = StaleCheck.Check(Saved, [Live("p-guide", "Guide")], new Dictionary<string, JsonObject?>(), TestKeys.A);

        result.Stale.Select(s => s.Reason).ShouldBe([StaleReason.Gone, StaleReason.Gone, StaleReason.NameTaken]);
    }
}
