using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Applying;

/// <summary>
/// The order in which apply starts its changes: creates, then updates, then deletes, each group by address
/// (ordinal), no-ops last. The same plan always starts its work in the same order, whatever order the
/// manifest files were found in, so two runs and a rerun after an interrupt behave alike.
/// </summary>
/// <remarks>
/// Make before break: an apply that stops part-way (an interrupt, a revoked key, a wave of failures) has
/// most likely done the additive work and least likely the irreversible work. A team that moves its
/// traffic from one persona to a new one (a create and a delete in one plan) is never left with neither.
/// Updates come between: they change what users talk to now, but can be changed back. Ordering is start
/// order, not a barrier: with --parallelism above 1 a delete may start while a create is still in flight.
/// Kinds that depend on each other (a persona naming a guardrail) will need waves: the dependency created
/// before its dependants, deleted after them.
/// </remarks>
public static class ApplyOrder
{
    public static IReadOnlyList<PersonaPlan> Order(IEnumerable<PersonaPlan> personas) =>
        [.. personas.OrderBy(p => Rank(p.Action)).ThenBy(p => p.Address, StringComparer.Ordinal)];

    private static int Rank(PlanAction action) => action switch
    {
        PlanAction.Create => 0,
        PlanAction.Update => 1,
        PlanAction.Delete => 2,
        _ => 3,
    };
}
