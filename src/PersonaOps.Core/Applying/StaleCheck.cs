using System.Text.Json.Nodes;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Applying;

/// <summary>Why a saved plan no longer fits the account.</summary>
public enum StaleReason
{
    /// <summary>The persona's live document is not the one the plan was computed from.</summary>
    Changed,

    /// <summary>The persona the plan updates or deletes no longer exists.</summary>
    Gone,

    /// <summary>The plan creates a persona whose name a live persona now has: creating it would make a duplicate.</summary>
    NameTaken,
}

/// <summary>One persona of a saved plan that no longer fits the account, and a line that says why.</summary>
public sealed record StalePersona(string Address, string? LiveId, StaleReason Reason, string Message);

/// <summary>The stale check's verdict: the personas that no longer fit (none: the plan may be applied), and the current documents of those that do.</summary>
public sealed record StaleCheckResult(IReadOnlyList<StalePersona> Stale, IReadOnlyDictionary<string, JsonObject> Live)
{
    public bool IsStale => Stale.Count > 0;
}

/// <summary>
/// <c>apply PLANFILE</c> applies exactly what was reviewed, or nothing: every persona the plan updates or
/// deletes must still be exactly as it was planned from (the fingerprint of its live document), and no
/// persona may have taken the name of one the plan creates. One stale persona refuses the whole plan.
/// </summary>
public static class StaleCheck
{
    /// <summary>The ids apply must read afresh (one GET each) before the check: those the plan updates or deletes.</summary>
    public static IReadOnlyList<string> IdsToRead(Plan plan) =>
        [.. plan.Personas.Where(p => p.Action is PlanAction.Update or PlanAction.Delete && p.LiveId is not null).Select(p => p.LiveId!).Distinct(StringComparer.Ordinal)];

    /// <param name="listing">The account's personas, listed now (for the names that creates need free).</param>
    /// <param name="current">What a GET of each of <see cref="IdsToRead"/> returned now; null or absent: the id is unknown.</param>
    /// <param name="key">The account's key, the one the plan's live fingerprints were made with.</param>
    public static StaleCheckResult Check(Plan plan, IReadOnlyList<JsonObject> listing, IReadOnlyDictionary<string, JsonObject?> current, PlanKey key)
    {
        var names = listing.Select(Kinds.PersonaKind.Identity.Name)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var stale = new List<StalePersona>();
        var live = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var persona in plan.Personas.Where(p => p.Action != PlanAction.NoOp))
        {
            if (persona.Action == PlanAction.Create)
            {
                if (persona.PersonaName is { } name && names.Contains(name))
                {
                    stale.Add(new StalePersona(persona.Address, null, StaleReason.NameTaken, $"{persona.Address}: a persona named '{name}' now exists"));
                }

                continue;
            }

            var now = persona.LiveId is null ? null : current.GetValueOrDefault(persona.LiveId);
            if (now is null)
            {
                stale.Add(new StalePersona(persona.Address, persona.LiveId, StaleReason.Gone, $"{persona.Address} ({persona.LiveId}) no longer exists"));
            }
            else if (persona.LiveFingerprint is null || key.Document(now) != persona.LiveFingerprint)
            {
                stale.Add(new StalePersona(persona.Address, persona.LiveId, StaleReason.Changed, $"{persona.Address} ({persona.LiveId}) changed since the plan was made"));
            }
            else
            {
                live[persona.LiveId!] = now;
            }
        }

        return new StaleCheckResult(stale, live);
    }
}
