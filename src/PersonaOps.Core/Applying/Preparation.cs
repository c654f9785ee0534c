using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Applying;

/// <summary>
/// One change ready to send: the create <see cref="Body"/> or the update <see cref="Patch"/>, secrets
/// resolved. A class, not a record, on purpose: its text (<see cref="ToString"/>) never shows the body or
/// the patch, which hold secret values, so it cannot leak into a message or a log by accident.
/// </summary>
public sealed class PreparedChange(PersonaPlan plan, JsonObject? body, JsonPatchDocument? patch, string? refusal)
{
    public PersonaPlan Plan { get; } = plan;

    /// <summary>The kind of resource, whose API adapter sends the change.</summary>
    public string Kind => Plan.Kind;

    public string Address => Plan.Address;

    public PlanAction Action => Plan.Action;

    /// <summary>The create body, secrets resolved: send it, never print it.</summary>
    public JsonObject? Body { get; } = body;

    /// <summary>The update patch, secrets resolved: send it, never print it.</summary>
    public JsonPatchDocument? Patch { get; } = patch;

    /// <summary>Why this change must not be sent (its persona is gone, its patch no longer applies), or null.</summary>
    public string? Refusal { get; } = refusal;

    public override string ToString() => $"{Address} ({ApplyReport.ActionName(Action)})";
}

/// <summary>Every change, prepared, in the order it starts; or the problems that stop the apply before its first request.</summary>
public sealed record Preparation(IReadOnlyList<PreparedChange> Changes, IReadOnlyList<Diagnostics.Diagnostic> Problems)
{
    public bool CanStart => Problems.Count == 0;
}
