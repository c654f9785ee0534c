using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Applying;

/// <summary>
/// The apply report as text (one line per resource as it finishes, then a summary) or as one JSON
/// document. Renderers return strings; the CLI writes them.
/// </summary>
public static class ApplyReportRenderer
{
    /// <summary>The line printed when one resource finishes: <c>persona.coach: created p123</c>.</summary>
    public static string Line(ResourceResult result) =>
        $"{result.Address}: {result.Outcome switch { ApplyOutcome.Failed => "failed: ", ApplyOutcome.NotConverged => "not converged: ", _ => "" }}{result.Message}";

    /// <summary>The closing lines on stdout: the counts, then each change that was not attempted.</summary>
    public static string Summary(ApplyReport report)
    {
        var work = report.Work.ToArray();

        // As people read it: "changed" and "deleted" count what is now as planned, 304s and deletes of
        // personas already gone included (most often this run's own earlier attempt, whose answer was lost).
        int Done(PlanAction action) => work.Count(r => r.Action == action && r.Succeeded);
        int Count(ApplyOutcome outcome) => work.Count(r => r.Outcome == outcome);
        var done = $"{Done(PlanAction.Create)} added, {Done(PlanAction.Update)} changed, {Done(PlanAction.Delete)} deleted";
        var text = new StringBuilder();
        if (work.All(r => r.Succeeded))
        {
            text.Append($"Apply complete! Personas: {done}.\n");
            return text.ToString();
        }

        var abandoned = Count(ApplyOutcome.Abandoned);
        var raced = Count(ApplyOutcome.CreatedElsewhere);
        var unconverged = Count(ApplyOutcome.NotConverged);
        text.Append($"Apply {(report.Interrupted ? "interrupted" : "incomplete")}. Personas: {done}, ")
            .Append(unconverged > 0 ? $"{unconverged} not converged, " : "")
            .Append($"{Count(ApplyOutcome.Failed)} failed, ")
            .Append(abandoned > 0 ? $"{abandoned} abandoned, " : "")
            .Append(raced > 0 ? $"{raced} created by another apply at the same time, " : "")
            .Append($"{Count(ApplyOutcome.NotAttempted)} not attempted.\n");
        foreach (var result in work.Where(r => r.Outcome == ApplyOutcome.NotAttempted))
        {
            text.Append($"  not attempted: {result.Address} ({ApplyReport.ActionName(result.Action)})\n");
        }

        return text.ToString();
    }

    /// <summary>What goes to stderr after the summary: the warnings, then what to do when the apply did not complete.</summary>
    public static IReadOnlyList<string> Errors(ApplyReport report)
    {
        var lines = report.Warnings.Select(w => $"personaops: warning: {w}").ToList();
        if (report.Complete)
        {
            return lines;
        }

        lines.Add(report.Resources.Any(r => r.Outcome == ApplyOutcome.CreatedElsewhere)
            ? "personaops: error: another apply ran against this account at the same time. Each persona was kept once; run plan to see the result, and run applies in one concurrency group (see the README)."
            : report.Resources.Any(r => r.Outcome == ApplyOutcome.NotConverged)
                ? "personaops: error: Tavus answered some changes with success but does not show them (not converged above); nothing was sent again. Run plan to see what differs, and apply again or check the persona in Tavus."
            : report.Interrupted
                ? "personaops: error: apply was interrupted; run it again: it plans afresh and picks up where this run stopped, without creating anything twice."
                : "personaops: error: not every change was applied; fix the failures above and run apply again: it picks up where this run stopped.");
        return lines;
    }

    /// <summary>The report as one JSON document (<c>apply --output json</c>).</summary>
    public static string Json(ApplyReport report)
    {
        var counts = report.Counts;
        var document = new JsonObject
        {
            ["format_version"] = ApplyReport.FormatVersion,
            ["target"] = report.Target,
            ["complete"] = report.Complete,
            ["interrupted"] = report.Interrupted,
            ["summary"] = new JsonObject
            {
                ["add"] = counts.Add,
                ["change"] = counts.Change,
                ["delete"] = counts.Delete,
                ["unchanged"] = counts.Unchanged,
                ["failed"] = counts.Failed,
                ["abandoned"] = counts.Abandoned,
                ["created_elsewhere"] = counts.CreatedElsewhere,
                ["not_attempted"] = counts.NotAttempted,
                ["not_converged"] = counts.NotConverged,
            },
            ["resources"] = new JsonArray([.. report.Resources.Select(Resource)]),
            ["warnings"] = new JsonArray([.. report.Warnings.Select(w => (JsonNode)JsonValue.Create(w))]),
        };
        return Rendering.JsonText.Write(document) + "\n";
    }

    /// <summary>One resource of the JSON report; <c>fields</c> (the planned fields Tavus does not show) only where there are some.</summary>
    private static JsonNode Resource(ResourceResult r)
    {
        var resource = new JsonObject
        {
            ["address"] = r.Address,
            ["kind"] = r.Kind,
            ["action"] = ApplyReport.ActionName(r.Action),
            ["id"] = r.Id,
            ["outcome"] = ApplyReport.OutcomeName(r.Outcome),
            ["message"] = r.Message,
        };
        if (r.Fields.Count > 0)
        {
            resource["fields"] = new JsonArray([.. r.Fields.Select(f => (JsonNode)JsonValue.Create(Validation.FieldPath.Display(f)))]);
        }

        return resource;
    }
}
