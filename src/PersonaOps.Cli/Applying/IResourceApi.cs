using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Tavus;

namespace PersonaOps.Cli.Applying;

/// <summary>
/// What apply needs from the API for one kind of resource. The runner talks to every kind through this,
/// so a second kind is one more implementation. Failures are <see cref="TavusApiException"/>s whose
/// messages carry nothing PersonaOps sent; cancellation by the token is an <see cref="OperationCanceledException"/>.
/// </summary>
internal interface IResourceApi
{
    /// <summary>The kind, as in addresses (<c>persona</c>).</summary>
    string Kind { get; }

    /// <summary>Every resource of the account, as one complete snapshot, or an exception: never partial data.</summary>
    Task<IReadOnlyList<JsonObject>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Every resource seen in a read of the whole list (which proves they exist), and why it was not a complete snapshot, or null.</summary>
    Task<(IReadOnlyList<JsonObject> Resources, string? Problem)> ListSeenAsync(CancellationToken cancellationToken);

    /// <summary>One resource, or null when the API says the id is unknown.</summary>
    Task<JsonObject?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Creates a resource, never twice: when an attempt's outcome is unknown, a new resource with this name not among <paramref name="knownIds"/> is taken as it.</summary>
    Task<(string Id, bool Recovered)> CreateAsync(JsonObject body, IReadOnlySet<string> knownIds, CancellationToken cancellationToken);

    /// <summary>Sends a JSON Patch: whether the API said nothing changed (304), and the resource its answer holds, if it holds one.</summary>
    Task<(bool NotModified, JsonObject? Answer)> PatchAsync(string id, JsonPatchDocument patch, CancellationToken cancellationToken);

    /// <summary>Deletes a resource; false when it was already gone.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}

/// <summary>Personas, over <see cref="TavusClient"/>. <paramref name="force"/>: overwrite unpublished PAL Maker changes.</summary>
internal sealed class PersonaApi(TavusClient client, bool force) : IResourceApi
{
    public string Kind => Core.Kinds.PersonaKind.Identity.Kind;

    public Task<IReadOnlyList<JsonObject>> ListAsync(CancellationToken cancellationToken) => client.ListUserPersonasAsync(cancellationToken);

    public Task<(IReadOnlyList<JsonObject> Resources, string? Problem)> ListSeenAsync(CancellationToken cancellationToken) => client.ListUserPersonasSeenAsync(cancellationToken);

    public Task<JsonObject?> GetAsync(string id, CancellationToken cancellationToken) => client.GetPersonaAsync(id, cancellationToken);

    public async Task<(string Id, bool Recovered)> CreateAsync(JsonObject body, IReadOnlySet<string> knownIds, CancellationToken cancellationToken)
    {
        var created = await client.CreatePersonaAsync(body, knownIds, cancellationToken);
        return (created.Id, created.RecoveredAfterUnknownOutcome);
    }

    public async Task<(bool NotModified, JsonObject? Answer)> PatchAsync(string id, JsonPatchDocument patch, CancellationToken cancellationToken)
    {
        var outcome = await client.PatchPersonaAsync(id, patch, force, cancellationToken);
        return (outcome.NotModified, outcome.Persona);
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => client.DeletePersonaAsync(id, cancellationToken);
}
