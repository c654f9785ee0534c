using System.Text.Json.Nodes;
using PersonaOps.Core.Applying;
using PersonaOps.Core.Planning;
using static PersonaOps.Core.Tests.Applying.ApplyData;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>The report: what it counts, when the exit code is 0, and how it reads as text and as JSON.</summary>
public sealed class ApplyReportTests
{
    private static readonly JsonObject Coach = Live("p-coach", "Coach");
    private static readonly JsonObject Tutor = Live("p-tutor", "Tutor");
    private static readonly JsonObject Other = Live("p-other", "Other");

    private static readonly Plan Planned = Plan(
        Create("guide", "Guide"),
        Create("mentor", "Mentor"),
        Update("coach", Coach, """[{"op":"replace","path":"/system_prompt","value":"New"}]"""),
        Delete("tutor", Tutor),
        NoOp("other", Other));

    private static readonly Preparation Prepared = ApplyPreparation.Prepare(Planned, Env, ById(Coach, Tutor, Other), TestKeys.A);

    private static PreparedChange Change(string address) => Prepared.Changes.Single(c => c.Address == address);

    private static ApplyReport Report(bool interrupted, IReadOnlyList<string>? warnings, params ResourceResult?[] results) =>
        ApplyReport.Create(Planned, Prepared.Changes, results, interrupted, warnings ?? []);

    private static readonly HashSet<string> Known = ["p-coach", "p-tutor", "p-other"];

    /// <summary>A PATCH answered with success whose read-back shows the coach's target.</summary>
    private static ApiAnswer.Patched Confirmed(bool notModified) =>
        new(notModified, null, new ReadBack(Change("persona.coach").Patch!.Apply(Coach).Document!.AsObject()));

    private static ResourceResult Answer(string address, ApiAnswer answer) => ApplyClassifier.Classify(Change(address), answer, Known);

    private static ApplyReport AllDone() => Report(false, null,
        Answer("persona.guide", new ApiAnswer.Created("p-guide", false)),
        Answer("persona.mentor", new ApiAnswer.Created("p-mentor", false)),
        Answer("persona.coach", Confirmed(notModified: true)),
        Answer("persona.tutor", new ApiAnswer.Deleted(AlreadyGone: false)));

    [Fact]
    public void EverythingAppliedOrUnchanged_IsComplete_Exit0()
    {
        var report = AllDone();

        report.Complete.ShouldBeTrue();
        report.ExitCode.ShouldBe(0);
        report.Counts.ShouldBe(new ApplyCounts(Add: 2, Change: 0, Delete: 1, Unchanged: 2, Failed: 0, Abandoned: 0, CreatedElsewhere: 0, NotAttempted: 0));
        report.Resources.Select(r => r.Address).ShouldBe(["persona.guide", "persona.mentor", "persona.coach", "persona.tutor", "persona.other"], "the work in start order, then the no-ops");
        report.Resources[^1].ShouldBe(new ResourceResult("persona.other", "persona", PlanAction.NoOp, "p-other", ApplyOutcome.Unchanged, "no changes"));
        ApplyReportRenderer.Summary(report).ShouldBe("Apply complete! Personas: 2 added, 1 changed, 1 deleted.\n", "a 304 is a change now as planned");
        ApplyReportRenderer.Errors(report).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(ApplyOutcome.Failed)]
    [InlineData(ApplyOutcome.Abandoned)]
    [InlineData(ApplyOutcome.NotAttempted)]
    [InlineData(ApplyOutcome.CreatedElsewhere)]
    public void AnyOtherOutcome_IsIncomplete_Exit1(ApplyOutcome outcome)
    {
        var done = AllDone();
        var results = done.Work.ToArray();
        results[1] = results[1] with { Outcome = outcome };

        var report = Report(false, null, results);

        report.Complete.ShouldBeFalse();
        report.ExitCode.ShouldBe(1);
        ApplyReportRenderer.Summary(report).ShouldStartWith("Apply incomplete. Personas: 1 added, 1 changed, 1 deleted, ");
        ApplyReportRenderer.Errors(report)[^1].ShouldStartWith("personaops: error: ");
    }

    [Fact]
    public void AnInterruptedApply_CountsEachOutcome_AndListsWhatWasNotAttempted()
    {
        var report = Report(true, null,
            Answer("persona.guide", new ApiAnswer.Created("p-guide", false)),
            Answer("persona.mentor", new ApiAnswer.Abandoned()),
            Answer("persona.coach", new ApiAnswer.Failed("PATCH answered 500")),
            null);

        report.Counts.ShouldBe(new ApplyCounts(Add: 1, Change: 0, Delete: 0, Unchanged: 1, Failed: 1, Abandoned: 1, CreatedElsewhere: 0, NotAttempted: 1));
        report.Resources.Single(r => r.Address == "persona.tutor").Outcome.ShouldBe(ApplyOutcome.NotAttempted);
        ApplyReportRenderer.Summary(report).ShouldBe(
            "Apply interrupted. Personas: 1 added, 0 changed, 0 deleted, 1 failed, 1 abandoned, 1 not attempted.\n" +
            "  not attempted: persona.tutor (delete)\n");
        ApplyReportRenderer.Errors(report).ShouldBe(["personaops: error: apply was interrupted; run it again: it plans afresh and picks up where this run stopped, without creating anything twice."]);
    }

    [Fact]
    public void ALostCreateRace_IsCountedAndExplained_WithTheKeptId()
    {
        var race = new CreateRaceResult(new NewPersona("persona.mentor", "Mentor", "p-mentor"), ["p-first"], "p-first");
        var report = Report(false, ["some warning"],
            Answer("persona.guide", new ApiAnswer.Created("p-guide", false)),
            CreateRace.Lost(race, null),
            Answer("persona.coach", Confirmed(notModified: false)),
            Answer("persona.tutor", new ApiAnswer.Deleted(false)));

        var lost = report.Resources.Single(r => r.Address == "persona.mentor");
        lost.Outcome.ShouldBe(ApplyOutcome.CreatedElsewhere);
        lost.Id.ShouldBe("p-first");
        ApplyReportRenderer.Line(lost).ShouldBe("persona.mentor: another apply created 'Mentor' at the same time as this one (p-first, kept); this run removed its own copy p-mentor, so there is one");
        ApplyReportRenderer.Summary(report).ShouldBe("Apply incomplete. Personas: 1 added, 1 changed, 1 deleted, 0 failed, 1 created by another apply at the same time, 0 not attempted.\n");
        ApplyReportRenderer.Errors(report).ShouldBe([
            "personaops: warning: some warning",
            "personaops: error: another apply ran against this account at the same time. Each persona was kept once; run plan to see the result, and run applies in one concurrency group (see the README).",
        ]);
    }

    [Fact]
    public void ALineSaysFailedForAFailure_AndOtherwiseWhatHappened()
    {
        ApplyReportRenderer.Line(Answer("persona.coach", new ApiAnswer.Failed("PATCH answered 500"))).ShouldBe("persona.coach: failed: PATCH answered 500");
        ApplyReportRenderer.Line(Answer("persona.guide", new ApiAnswer.Created("p-guide", false))).ShouldBe("persona.guide: created p-guide");
    }

    [Fact]
    public void TheJson_HasEveryResourcesAddressActionIdAndOutcome_AndTheCounts()
    {
        var report = Report(true, ["a warning"],
            Answer("persona.guide", new ApiAnswer.Created("p-guide", false)),
            Answer("persona.mentor", new ApiAnswer.Failed("POST answered 400: \"bad\" + <worse>")),
            Answer("persona.coach", Confirmed(notModified: false)),
            null);

        var json = JsonNode.Parse(ApplyReportRenderer.Json(report))!.AsObject();

        json["format_version"]!.GetValue<int>().ShouldBe(1);
        json["target"]!.GetValue<string>().ShouldBe("the test account");
        json["complete"]!.GetValue<bool>().ShouldBeFalse();
        json["interrupted"]!.GetValue<bool>().ShouldBeTrue();
        json["summary"]!.ToJsonString().ShouldBe("""{"add":1,"change":1,"delete":0,"unchanged":1,"failed":1,"abandoned":0,"created_elsewhere":0,"not_attempted":1,"not_converged":0}""");
        var resources = json["resources"]!.AsArray();
        resources.Select(r => $"{r!["address"]} {r["action"]} {r["id"]?.GetValue<string>() ?? "null"} {r["outcome"]}").ShouldBe([
            "persona.guide create p-guide applied",
            "persona.mentor create null failed",
            "persona.coach update p-coach applied",
            "persona.tutor delete p-tutor not_attempted",
            "persona.other no-op p-other unchanged",
        ]);
        resources[1]!["message"]!.GetValue<string>().ShouldBe("POST answered 400: \"bad\" + <worse>");
        resources[0]!["kind"]!.GetValue<string>().ShouldBe("persona");
        json["warnings"]!.AsArray().Single()!.GetValue<string>().ShouldBe("a warning");
    }

    [Fact]
    public void MappingTheText_ReachesEveryMessageAndWarning()
    {
        var report = Report(false, ["key sk-APPLY-canary-0123 in a warning"],
            Answer("persona.guide", new ApiAnswer.Failed($"key {Secret} was refused")),
            null, null, null);

        var masked = report.MapText(text => text.Replace(Secret, "(sensitive value)", StringComparison.Ordinal));

        ApplyReportRenderer.Json(masked).ShouldNotContain(Secret);
        ApplyReportRenderer.Json(masked).ShouldContain("key (sensitive value) was refused");
        masked.Counts.ShouldBe(report.Counts);
    }

    [Fact]
    public void ResultsThatDoNotMatchTheChanges_AreABug_NotAReport()
    {
        Should.Throw<ArgumentException>(() => ApplyReport.Create(Planned, Prepared.Changes, [null], false, []));
    }

    [Fact]
    public void APlanWithoutChanges_ReportsItsNoOps_Complete()
    {
        var plan = Plan(NoOp("other", Other));
        var report = ApplyReport.Create(plan, [], [], false, []);

        report.ExitCode.ShouldBe(0);
        report.Resources.ShouldHaveSingleItem().Outcome.ShouldBe(ApplyOutcome.Unchanged);
        ApplyReportRenderer.Summary(report).ShouldBe("Apply complete! Personas: 0 added, 0 changed, 0 deleted.\n");
    }
}
