using System.Globalization;
using System.Text.Json.Nodes;
using PersonaOps.Core.Planning;

namespace PersonaOps.Core.Applying;

/// <summary>A persona this apply created: its manifest's address, its persona_name and the id Tavus gave it.</summary>
public sealed record NewPersona(string Address, string PersonaName, string Id);

/// <summary>
/// Two applies that created the same persona at once: <see cref="Ours"/>, the other copies, and the one both
/// runs agree to keep. When it is not ours, this run removes its own copy.
/// </summary>
public sealed record CreateRaceResult(NewPersona Ours, IReadOnlyList<string> OtherIds, string KeeperId)
{
    public bool WeLost => KeeperId != Ours.Id;
}

/// <summary>
/// Tavus has no conditional create, so two applies that plan at the same time (two pipelines without a
/// concurrency group, say) both create each new persona. After its creates, an apply lists the account
/// and looks for personas with the same persona_name that it neither created nor saw when it planned.
/// Every run applies the same rule to the same data (the earliest <c>created_at</c> wins, then the smaller
/// id), so exactly one copy is kept and each loser deletes only its own.
/// </summary>
public static class CreateRace
{
    public static IReadOnlyList<CreateRaceResult> Find(IReadOnlyList<NewPersona> created, IReadOnlyList<JsonObject> listing, IReadOnlySet<string> knownBeforeApply)
    {
        var ours = created.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var ourCreatedAt = listing.Where(p => Id(p) is { } id && ours.Contains(id)).ToDictionary(p => Id(p)!, CreatedAt, StringComparer.Ordinal);
        var byName = listing
            .Where(p => Id(p) is { } id && !knownBeforeApply.Contains(id) && !ours.Contains(id))
            .GroupBy(p => Kinds.PersonaKind.Identity.Name(p) ?? "", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        var results = new List<CreateRaceResult>();
        foreach (var persona in created)
        {
            if (!byName.TryGetValue(persona.PersonaName, out var others))
            {
                continue;
            }

            var keeper = others
                .Select(p => (Id: Id(p)!, At: CreatedAt(p)))
                .Append((Id: persona.Id, At: ourCreatedAt.GetValueOrDefault(persona.Id, DateTimeOffset.MaxValue)))
                .OrderBy(c => c.At)
                .ThenBy(c => c.Id, StringComparer.Ordinal)
                .First();
            results.Add(new CreateRaceResult(persona, [.. others.Select(p => Id(p)!).Order(StringComparer.Ordinal)], keeper.Id));
        }

        return results;
    }

    /// <summary>
    /// The result of a race this run lost, once it tried to remove its own copy (<paramref name="removalError"/>:
    /// why that failed, or null). The id reported is the kept copy's: the one the manifest now manages.
    /// </summary>
    public static ResourceResult Lost(CreateRaceResult race, string? removalError)
    {
        var found = $"another apply created '{race.Ours.PersonaName}' at the same time as this one ({race.KeeperId}, kept)";
        var message = removalError is null
            ? $"{found}; this run removed its own copy {race.Ours.Id}, so there is one"
            : $"{found}, and this run could not remove its own copy {race.Ours.Id}: {removalError}. Delete it by hand";
        return new ResourceResult(race.Ours.Address, Kinds.PersonaKind.Identity.Kind, PlanAction.Create, race.KeeperId, ApplyOutcome.CreatedElsewhere, message);
    }

    /// <summary>The warning of a race this run won: its copy is kept, and the other run removes its own.</summary>
    public static string Won(CreateRaceResult race) =>
        $"{race.Ours.Address}: another apply created '{race.Ours.PersonaName}' at the same time ({string.Join(", ", race.OtherIds)}); this run's copy {race.Ours.Id} is the one kept, and the other run removes its own.";

    private static string? Id(JsonObject persona) => Kinds.PersonaKind.Identity.Id(persona);

    private static string? Text(JsonObject persona, string field) =>
        persona[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>When the persona was created; unknown sorts last, so a copy without a date never wins.</summary>
    private static DateTimeOffset CreatedAt(JsonObject persona) =>
        DateTimeOffset.TryParse(Text(persona, "created_at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MaxValue;
}
