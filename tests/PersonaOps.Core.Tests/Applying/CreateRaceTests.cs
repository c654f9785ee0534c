using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>The rule two racing applies both follow: one copy is kept, the same one in both runs.</summary>
public sealed class CreateRaceTests
{
    private static JsonObject Live(string id, string name, string createdAt) =>
        new() { ["persona_id"] = id, ["persona_name"] = name, ["created_at"] = createdAt };

    private static readonly JsonObject[] Account =
    [
        Live("p-old", "Tutor", "2026-01-01T00:00:00Z"),
        Live("p-a", "Coach", "2026-11-29T10:00:00.100Z"),
        Live("p-b", "Coach", "2026-11-29T10:00:00.200Z"),
        Live("p-c", "Guide", "2026-11-29T10:00:00.300Z"),
    ];

    [Fact]
    public void BothRuns_KeepTheEarliestCopy_AndOnlyTheLaterOneLoses()
    {
        var runA = CreateRace.Find([new NewPersona("persona.coach", "Coach", "p-a")], Account, new HashSet<string> { "p-old" });
        var runB = CreateRace.Find([new NewPersona("persona.coach", "Coach", "p-b")], Account, new HashSet<string> { "p-old" });

        runA.Single().WeLost.ShouldBeFalse();
        runA.Single().OtherIds.ShouldBe(["p-b"]);
        runB.Single().WeLost.ShouldBeTrue();
        runB.Single().KeeperId.ShouldBe("p-a");
    }

    [Fact]
    public void EqualCreationTimes_AreSettledByTheSmallerId_InBothRuns()
    {
        JsonObject[] account = [Live("p-2", "Coach", "2026-11-29T10:00:00Z"), Live("p-1", "Coach", "2026-11-29T10:00:00Z")];
        CreateRace.Find([new NewPersona("persona.coach", "Coach", "p-2")], account, new HashSet<string>()).Single().KeeperId.ShouldBe("p-1");
        CreateRace.Find([new NewPersona("persona.coach", "Coach", "p-1")], account, new HashSet<string>()).Single().WeLost.ShouldBeFalse();
    }

    [Fact]
    public void PersonasSeenWhenPlanning_AndOurOwnCreates_AreNoRace()
    {
        // p-old was there when the plan was made (the planner matched or reported it); p-c is this run's own.
        var races = CreateRace.Find(
            [new NewPersona("persona.tutor", "Tutor", "p-new"), new NewPersona("persona.guide", "Guide", "p-c")],
            [.. Account, Live("p-new", "Tutor", "2026-11-29T10:00:01Z")],
            new HashSet<string> { "p-old", "p-a", "p-b" });
        races.ShouldBeEmpty();
    }

    [Fact]
    public void ACopyWithoutACreationDate_NeverWins()
    {
        JsonObject[] account = [new() { ["persona_id"] = "p-0", ["persona_name"] = "Coach" }, Live("p-9", "Coach", "2026-11-29T10:00:00Z")];
        CreateRace.Find([new NewPersona("persona.coach", "Coach", "p-0")], account, new HashSet<string>()).Single().KeeperId.ShouldBe("p-9");
    }
}

/// <summary>What a run says about a race, won or lost, and which id its report gives.</summary>
public sealed class CreateRaceSettlementTests
{
    private static readonly CreateRaceResult LostRace = new(new NewPersona("persona.coach", "Coach", "p-b"), ["p-a"], "p-a");

    [Fact]
    public void ALostRace_ReportsTheKeptCopysId_AndWhetherOurCopyWasRemoved()
    {
        var removed = CreateRace.Lost(LostRace, null);
        var stuck = CreateRace.Lost(LostRace, "DELETE /v2/personas/p-b answered 500");

        removed.Outcome.ShouldBe(ApplyOutcome.CreatedElsewhere);
        removed.Id.ShouldBe("p-a");
        removed.Message.ShouldBe("another apply created 'Coach' at the same time as this one (p-a, kept); this run removed its own copy p-b, so there is one");
        stuck.Id.ShouldBe("p-a");
        stuck.Message.ShouldBe("another apply created 'Coach' at the same time as this one (p-a, kept), and this run could not remove its own copy p-b: DELETE /v2/personas/p-b answered 500. Delete it by hand");
    }

    [Fact]
    public void AWonRace_IsAWarning_NamingTheOtherCopies()
    {
        CreateRace.Won(new CreateRaceResult(new NewPersona("persona.coach", "Coach", "p-a"), ["p-b", "p-c"], "p-a"))
            .ShouldBe("persona.coach: another apply created 'Coach' at the same time (p-b, p-c); this run's copy p-a is the one kept, and the other run removes its own.");
    }
}
