using System.Text.Json.Nodes;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Applying;

/// <summary>What became of one resource in an apply.</summary>
public enum ApplyOutcome
{
    /// <summary>Never started: the apply was interrupted first.</summary>
    NotAttempted,

    /// <summary>The API accepted the change (or a read-back shows an answer lost on the way was a success).</summary>
    Applied,

    /// <summary>Nothing to do: a no-op in the plan, a 304 to a PATCH, or a delete of a persona already gone.</summary>
    Unchanged,

    /// <summary>The API refused it, or it could not be sent; the message says why.</summary>
    Failed,

    /// <summary>In flight when the apply abandoned its requests after an interrupt: whether it was applied is unknown.</summary>
    Abandoned,

    /// <summary>Another apply created the same persona at the same time; one copy was kept (see <see cref="CreateRace"/>).</summary>
    CreatedElsewhere,

    /// <summary>
    /// The API answered with success, but the persona, as it answered or as read back, is not the target on
    /// the fields <see cref="ResourceResult.Fields"/> names: Tavus did not do (all of) what it said it did.
    /// </summary>
    NotConverged,
}

/// <summary>What the API answered to one change, as the runner saw it: the input of <see cref="ApplyClassifier.Classify"/>.</summary>
public abstract record ApiAnswer
{
    private ApiAnswer()
    {
    }

    /// <summary>A create answered with an id; <paramref name="Recovered"/>: found by listing after an answer was lost.</summary>
    public sealed record Created(string Id, bool Recovered) : ApiAnswer;

    /// <summary>
    /// A PATCH answered with success (<paramref name="NotModified"/>: 304, "nothing changed"), and the evidence
    /// of what it did: <paramref name="Answer"/>, the persona the answer's body holds (null for an empty or
    /// non-persona body, a 204, a 304), and <paramref name="ReadBack"/>, what a GET showed afterwards, read
    /// when the answer proves nothing (see <see cref="ApplyClassifier.NeedsReadBack"/>).
    /// </summary>
    public sealed record Patched(bool NotModified, JsonObject? Answer = null, ReadBack? ReadBack = null) : ApiAnswer;

    /// <summary>
    /// A PATCH refused with <paramref name="Status"/> (a 400 or 422 after an earlier attempt may have been
    /// committed), and what a GET of the persona showed afterwards (null: gone, or not read).
    /// </summary>
    public sealed record PatchRefused(int? Status, string Message, JsonObject? ReadBack) : ApiAnswer;

    /// <summary>
    /// A delete answered with success; <paramref name="AlreadyGone"/>: the persona did not exist any more.
    /// <paramref name="ReadBack"/>: what a GET showed afterwards (a persona still there was not deleted).
    /// </summary>
    public sealed record Deleted(bool AlreadyGone, ReadBack? ReadBack = null) : ApiAnswer;

    /// <summary>The request failed (an API error, a transport failure with retries exhausted, ...).</summary>
    public sealed record Failed(string Message) : ApiAnswer;

    /// <summary>Still in flight when the requests were abandoned after an interrupt.</summary>
    public sealed record Abandoned : ApiAnswer;
}

/// <summary>What a GET of a persona showed after a change: <paramref name="Persona"/>, or null when it is gone.</summary>
public sealed record ReadBack(JsonObject? Persona);

/// <summary>The result for one resource: its address, kind, action, id (the created id for creates), outcome and a message.</summary>
public sealed record ResourceResult(string Address, string Kind, PlanAction Action, string? Id, ApplyOutcome Outcome, string Message)
{
    /// <summary>For <see cref="ApplyOutcome.NotConverged"/>: the planned fields (JSON Pointers into spec) the persona does not show.</summary>
    public IReadOnlyList<string> Fields { get; init; } = [];

    /// <summary>True when the resource is now as planned.</summary>
    public bool Succeeded => Outcome is ApplyOutcome.Applied or ApplyOutcome.Unchanged;
}

/// <summary>
/// Outcome classification: from what the API answered to a change, what became of the resource. Pure, so
/// every rule is tested without HTTP: a lost answer confirmed by reading back is a success, a create
/// answered with an id this apply already knew is a lie and a failure, a refusal is a failure.
/// </summary>
public static class ApplyClassifier
{
    /// <summary>The message of a change that was in flight when its requests were abandoned.</summary>
    public const string AbandonedMessage = "abandoned after an interrupt; whether Tavus applied it is unknown, and the next plan shows it";

    /// <summary>
    /// Whether a refused PATCH is worth reading back: a 400 or 422 to a patch that was checked against the
    /// persona before it was sent may mean an earlier attempt was committed and its answer lost (a retried
    /// remove finds nothing left to remove).
    /// </summary>
    public static bool ShouldReadBack(int? status) => status is 400 or 422;

    /// <summary>
    /// Whether a PATCH answered with success must be confirmed by a GET: unless the answer's body is a persona
    /// that shows every planned field, it proves nothing (an empty or other body, a 204, a 304, a persona that
    /// is not the target), so the persona is read back before the change is called applied or unchanged.
    /// </summary>
    public static bool NeedsReadBack(PreparedChange change, ApiAnswer.Patched patched) =>
        patched.ReadBack is null && (patched.NotModified || patched.Answer is not { } answer || change.Patch is not { } patch || Convergence.Unconverged(patch, answer).Count > 0);

    /// <param name="knownIds">The ids known before this create was sent (listed when planning, and created by this run so far).</param>
    public static ResourceResult Classify(PreparedChange change, ApiAnswer answer, IReadOnlySet<string> knownIds)
    {
        var liveId = change.Plan.LiveId;
        return (change.Action, answer) switch
        {
            (_, ApiAnswer.Abandoned) => Result(change, change.Action == PlanAction.Create ? null : liveId, ApplyOutcome.Abandoned, AbandonedMessage),
            (_, ApiAnswer.Failed failed) => Result(change, change.Action == PlanAction.Create ? null : liveId, ApplyOutcome.Failed, failed.Message),
            (PlanAction.Create, ApiAnswer.Created created) => Created(change, created, knownIds),
            (PlanAction.Update, ApiAnswer.Patched patched) => Patched(change, patched),
            (PlanAction.Update, ApiAnswer.PatchRefused refused) =>
                refused.ReadBack is { } now && change.Patch is { } patch && ShouldReadBack(refused.Status) && ApplyPreparation.IsApplied(patch, now)
                    ? Result(change, liveId, ApplyOutcome.Applied, $"updated {liveId} (confirmed by reading back after an interrupted request)")
                    : Result(change, liveId, ApplyOutcome.Failed, refused.Message),
            (PlanAction.Delete, ApiAnswer.Deleted deleted) => deleted switch
            {
                { AlreadyGone: true } => Result(change, liveId, ApplyOutcome.Unchanged, $"already gone: {liveId}"),
                { ReadBack.Persona: not null } => Result(change, liveId, ApplyOutcome.NotConverged, $"Tavus answered the delete of {liveId} with success, but the persona is still there when read back"),
                _ => Result(change, liveId, ApplyOutcome.Applied, $"deleted {liveId}"),
            },
            _ => Result(change, liveId, ApplyOutcome.Failed, $"the API's answer ({answer.GetType().Name}) does not fit a {ApplyReport.ActionName(change.Action)}"),
        };
    }

    /// <summary>
    /// A create Tavus answered with an id (<paramref name="created"/>), judged by the persona as a listing after
    /// the creates shows it (<paramref name="listed"/>; null: not in the listing, which proves nothing either
    /// way, so the result stands): not converged, the fields named, when it is not what was sent. Tavus answers
    /// a create with its id and name only, so the listing is the first sight of what it stored.
    /// </summary>
    public static ResourceResult CheckCreated(PreparedChange change, ResourceResult created, JsonObject? listed)
    {
        if (created is not { Action: PlanAction.Create, Outcome: ApplyOutcome.Applied, Id: { } id } || listed is null || change.Body is not { } body)
        {
            return created;
        }

        var sent = new JsonPatch.JsonPatchDocument([.. body.Select(member => JsonPatch.PatchOperation.Add(JsonPatch.JsonPointer.Root.Append(member.Key), member.Value?.DeepClone()))]);
        var unconverged = Convergence.Unconverged(sent, listed);
        return unconverged.Count == 0
            ? created
            : Result(change, id, ApplyOutcome.NotConverged,
                $"Tavus created {id}, but listing it shows {Convergence.Describe(unconverged)} not as sent") with { Fields = unconverged };
    }

    /// <summary>
    /// A create answered with an id another create of this run was already given (two in flight at once): one
    /// id cannot be two personas, so it is not taken as this one; the next plan shows what was stored.
    /// </summary>
    public static ResourceResult IdGivenTwice(PreparedChange change, string id) =>
        Result(change, null, ApplyOutcome.Failed, $"Tavus answered the create with {id}, the id it gave another create of this apply; it was not taken as this persona, and the next plan shows what was stored");

    /// <summary>A change that was refused before any request (see <see cref="PreparedChange.Refusal"/>).</summary>
    public static ResourceResult Refused(PreparedChange change, string refusal) =>
        Result(change, change.Plan.LiveId, ApplyOutcome.Failed, refusal);

    /// <summary>A change the apply never started.</summary>
    public static ResourceResult NotAttempted(PreparedChange change) =>
        Result(change, change.Plan.LiveId, ApplyOutcome.NotAttempted, "not attempted");

    /// <summary>A resource the plan leaves as it is.</summary>
    public static ResourceResult NoOp(PersonaPlan plan) =>
        new(plan.Address, plan.Kind, PlanAction.NoOp, plan.LiveId, ApplyOutcome.Unchanged, "no changes");

    /// <summary>
    /// True for an id as Tavus makes them: letters, digits, '-' and '_', at most 64. Anything else (control
    /// characters, spaces, a path) would be printed to a terminal and put into URLs, so it is not taken.
    /// </summary>
    public static bool IsPlausibleId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>
    /// A PATCH answered with success, judged by what Tavus shows, never by its status alone: applied when the
    /// answer or the read-back shows the target on every planned field (unchanged for a 304 that does),
    /// not converged (the fields named) when it does not, failed when the persona is gone or nothing was read.
    /// </summary>
    private static ResourceResult Patched(PreparedChange change, ApiAnswer.Patched patched)
    {
        var liveId = change.Plan.LiveId;
        var said = patched.NotModified ? "304 (no change)" : "success";
        if (change.Patch is not { } patch)
        {
            return Result(change, liveId, ApplyOutcome.Failed, "the plan has no patch to confirm");
        }

        if (!NeedsReadBack(change, patched with { ReadBack = null }))
        {
            return Result(change, liveId, ApplyOutcome.Applied, $"updated {liveId}");
        }

        if (patched.ReadBack is not { } readBack)
        {
            return Result(change, liveId, ApplyOutcome.Failed, $"Tavus answered the update of {liveId} with {said}, but its answer does not show the result and the persona was not read back; the next plan shows what was stored");
        }

        if (readBack.Persona is not { } now)
        {
            return Result(change, liveId, ApplyOutcome.Failed, $"Tavus answered the update of {liveId} with {said}, but the persona is gone when read back");
        }

        var unconverged = Convergence.Unconverged(patch, now);
        if (unconverged.Count > 0)
        {
            return Result(change, liveId, ApplyOutcome.NotConverged,
                $"Tavus answered the update of {liveId} with {said}, but reading it back, {Convergence.Describe(unconverged)} {(unconverged.Count == 1 ? "is" : "are")} not as planned") with { Fields = unconverged };
        }

        return patched.NotModified
            ? Result(change, liveId, ApplyOutcome.Unchanged, $"updated {liveId} (Tavus reported no change; reading back shows it already as planned)")
            : Result(change, liveId, ApplyOutcome.Applied, $"updated {liveId} (confirmed by reading back)");
    }

    private static ResourceResult Created(PreparedChange change, ApiAnswer.Created created, IReadOnlySet<string> knownIds)
    {
        if (!IsPlausibleId(created.Id))
        {
            return Result(change, null, ApplyOutcome.Failed, "Tavus answered the create with an id that is not a persona id; whether it stored the persona is unknown, and the next plan shows it");
        }

        // A create answered with the id of a persona that already existed is a lie (or a bug): taking it would
        // let the race rule delete someone else's persona as "our copy". Whatever was stored, the next plan shows.
        if (knownIds.Contains(created.Id))
        {
            return Result(change, null, ApplyOutcome.Failed, $"Tavus answered the create with the id of a persona that already existed ({created.Id}); it was not taken as this persona, and the next plan shows what was stored");
        }

        return Result(change, created.Id, ApplyOutcome.Applied, $"created {created.Id}{(created.Recovered ? " (confirmed by listing after an interrupted request)" : "")}");
    }

    private static ResourceResult Result(PreparedChange change, string? id, ApplyOutcome outcome, string message) =>
        new(change.Address, change.Kind, change.Action, id, outcome, message);
}
