using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Applying;

/// <summary>How many resources ended how. <see cref="Add"/>, <see cref="Change"/> and <see cref="Delete"/> count applied changes only; together with the rest they count every resource once.</summary>
public sealed record ApplyCounts(int Add, int Change, int Delete, int Unchanged, int Failed, int Abandoned, int CreatedElsewhere, int NotAttempted)
{
    /// <summary>Changes Tavus answered with success but does not show (added after the others: the JSON field <c>not_converged</c>).</summary>
    public int NotConverged { get; init; }
}

/// <summary>
/// What an apply did: a value, made once the runner is done, rendered as text or JSON. Per resource its
/// address, action, id, outcome and message (changes in the order they started, then the no-ops); whether
/// the run was interrupted; warnings that concern no single outcome.
/// </summary>
public sealed record ApplyReport(string Target, IReadOnlyList<ResourceResult> Resources, bool Interrupted, IReadOnlyList<string> Warnings)
{
    public const int FormatVersion = 1;

    /// <summary>
    /// The report of <paramref name="changes"/> (what was prepared, in start order) given the
    /// <paramref name="results"/> the runner recorded at the same positions (null: never started), and the
    /// plan's no-ops.
    /// </summary>
    public static ApplyReport Create(Plan plan, IReadOnlyList<PreparedChange> changes, IReadOnlyList<ResourceResult?> results, bool interrupted, IReadOnlyList<string> warnings)
    {
        if (results.Count != changes.Count)
        {
            throw new ArgumentException($"{results.Count} results for {changes.Count} changes", nameof(results));
        }

        var resources = changes.Select((c, i) => results[i] ?? ApplyClassifier.NotAttempted(c))
            .Concat(ApplyOrder.Order(plan.Personas).Where(p => p.Action == PlanAction.NoOp).Select(ApplyClassifier.NoOp))
            .ToArray();
        return new ApplyReport(plan.Target, resources, interrupted, warnings);
    }

    /// <summary>The resources the plan changes (not its no-ops).</summary>
    public IEnumerable<ResourceResult> Work => Resources.Where(r => r.Action != PlanAction.NoOp);

    public ApplyCounts Counts => new(
        Count(ApplyOutcome.Applied, PlanAction.Create),
        Count(ApplyOutcome.Applied, PlanAction.Update),
        Count(ApplyOutcome.Applied, PlanAction.Delete),
        Count(ApplyOutcome.Unchanged),
        Count(ApplyOutcome.Failed),
        Count(ApplyOutcome.Abandoned),
        Count(ApplyOutcome.CreatedElsewhere),
        Count(ApplyOutcome.NotAttempted))
    {
        NotConverged = Count(ApplyOutcome.NotConverged),
    };

    /// <summary>True when every resource is now as planned: applied or unchanged.</summary>
    public bool Complete => Resources.All(r => r.Succeeded);

    /// <summary>The exit code rule: 0 only when everything was applied or unchanged; 1 otherwise.</summary>
    public int ExitCode => Complete ? 0 : 1;

    /// <summary>The same report with every message and warning passed through <paramref name="map"/> (the CLI's redactor).</summary>
    public ApplyReport MapText(Func<string, string> map) => this with
    {
        Resources = [.. Resources.Select(r => r with { Message = map(r.Message) })],
        Warnings = [.. Warnings.Select(map)],
    };

    /// <summary>The action's name, as in saved plans.</summary>
    public static string ActionName(PlanAction action) => PlanDocument.ActionName(action);

    public static string OutcomeName(ApplyOutcome outcome) => outcome switch
    {
        ApplyOutcome.Applied => "applied",
        ApplyOutcome.Unchanged => "unchanged",
        ApplyOutcome.Failed => "failed",
        ApplyOutcome.Abandoned => "abandoned",
        ApplyOutcome.CreatedElsewhere => "created_elsewhere",
        ApplyOutcome.NotConverged => "not_converged",
        _ => "not_attempted",
    };

    private int Count(ApplyOutcome outcome, PlanAction? action = null) =>
        Resources.Count(r => r.Outcome == outcome && (action is null || r.Action == action));
}
