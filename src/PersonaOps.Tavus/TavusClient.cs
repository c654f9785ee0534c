using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.Timeout;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Kinds;

namespace PersonaOps.Tavus;

/// <summary>
/// What a PATCH was answered with: success, or 304 (<see cref="NotModified"/>: "nothing to change"), and
/// the persona the answer's body holds (null for a 204, a 304, an empty body, or one that is not a persona:
/// Tavus does not document the body of a 200, so it proves something only when it is a persona).
/// </summary>
public sealed record PatchOutcome(bool NotModified, JsonObject? Persona);

/// <summary>A created persona, and whether its creation had to be confirmed by listing after an unknown outcome.</summary>
public sealed record CreatedPersona(string Id, bool RecoveredAfterUnknownOutcome);

/// <summary>
/// The Tavus persona API (<c>/v2/personas</c>) for PersonaOps: a typed HttpClient whose retries, backoff and
/// Retry-After handling come from Microsoft.Extensions.Http.Resilience (see <see cref="TavusServices"/>).
/// The same client talks to Tavus, to <c>personaops sandbox serve</c> and to the embedded sandbox.
/// </summary>
public sealed partial class TavusClient(HttpClient http, TavusConnection connection, ILogger<TavusClient>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<TavusClient>.Instance;

    public Uri BaseAddress => connection.BaseAddress;

    /// <summary>
    /// Every persona of the account (<c>persona_type=user</c>). The first page gives <c>total_count</c>;
    /// the rest are fetched in parallel. The listing counts only when the distinct ids seen equal
    /// <c>total_count</c>: a plan is never made from partial data.
    /// </summary>
    public async Task<IReadOnlyList<JsonObject>> ListUserPersonasAsync(CancellationToken cancellationToken = default)
    {
        var listing = await ReadListingAsync(cancellationToken);
        return listing.Problem is null ? listing.Personas : throw new TavusApiException(null, listing.Problem + "; nothing was planned from partial data. Run the command again.");
    }

    /// <summary>
    /// Every persona seen in a read of the whole list, read again (up to the retry budget) while the list
    /// changes under it. Seeing a persona proves it exists even when the listing is not a consistent
    /// snapshot; <c>Problem</c> says why the last read was not one, or is null.
    /// </summary>
    public async Task<(IReadOnlyList<JsonObject> Personas, string? Problem)> ListUserPersonasSeenAsync(CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var listing = await ReadListingAsync(cancellationToken);
            if (listing.Problem is null || attempt >= connection.MaxRetries)
            {
                return (listing.Personas, listing.Problem);
            }

            await Task.Delay(Backoff(attempt), cancellationToken);
        }
    }

    /// <summary>
    /// Reads every page. <see cref="Listing.Problem"/> says why the result is not a complete snapshot (the
    /// list changed while it was read, or fewer distinct personas than total_count came back); the personas
    /// seen are returned either way, because seeing a persona proves it exists even when absence cannot be.
    /// </summary>
    private async Task<Listing> ReadListingAsync(CancellationToken cancellationToken)
    {
        var size = connection.PageSize;
        var first = await GetPageAsync(1, size, cancellationToken);
        var pages = new ConcurrentDictionary<int, IReadOnlyList<JsonObject>> { [1] = first.Items };
        var pageCount = Math.Max(1, (int)Math.Ceiling(first.Total / (double)size));
        var changed = new ConcurrentBag<string>();
        if (pageCount > 1)
        {
            await Parallel.ForEachAsync(Enumerable.Range(2, pageCount - 1),
                new ParallelOptions { MaxDegreeOfParallelism = connection.ListParallelism, CancellationToken = cancellationToken },
                async (page, token) =>
                {
                    var result = await GetPageAsync(page, size, token);
                    pages[page] = result.Items;
                    if (result.Total != first.Total)
                    {
                        changed.Add($"the persona list changed while it was read (total_count {first.Total} on page 1, {result.Total} on page {page})");
                    }
                });
        }

        var personas = new List<JsonObject>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var page in pages.OrderBy(p => p.Key))
        {
            foreach (var persona in page.Value)
            {
                if (Identity.Id(persona) is { } id && ids.Add(id))
                {
                    personas.Add(persona);
                }
            }
        }

        var problem = changed.OrderBy(m => m, StringComparer.Ordinal).FirstOrDefault()
            ?? (ids.Count != first.Total ? $"the persona list is incomplete: total_count is {first.Total} but {ids.Count} distinct personas came back over {pageCount} page(s)" : null);
        return new Listing(personas, problem);
    }

    private sealed record Listing(IReadOnlyList<JsonObject> Personas, string? Problem);

    private async Task<(IReadOnlyList<JsonObject> Items, int Total)> GetPageAsync(int page, int size, CancellationToken cancellationToken)
    {
        var body = await SendForJsonAsync(HttpMethod.Get, $"{Api.CollectionPath}?{(Api.ListQuery.Length > 0 ? Api.ListQuery + "&" : "")}limit={size}&page={page + Api.FirstPage - 1}", null, cancellationToken)
            ?? throw new TavusApiException(null, $"page {page} of the persona list came back empty");
        if (body[Api.ItemsField] is not JsonArray data || body[Api.TotalField] is not JsonValue total || !total.TryGetValue<int>(out var count))
        {
            throw new TavusApiException(null, $"GET {Api.CollectionPath} (page {page}) answered with something other than the documented {{\"{Api.ItemsField}\": [...], \"{Api.TotalField}\": N}}");
        }

        return (data.OfType<JsonObject>().Select(p => Normalize(p, $"GET {Api.CollectionPath} (page {page})")).ToArray(), count);
    }

    /// <summary>
    /// Every persona read from Tavus, in PersonaOps's vocabulary: PAL-era names (<c>pal_id</c>,
    /// <c>pal_name</c>, ...) mapped by the alias table of the persona kind, so nothing after the client sees
    /// them. An answer whose two names of one field disagree is refused: which is right cannot be told.
    /// </summary>
    private static JsonObject Normalize(JsonObject persona, string where, string consequence = "nothing was planned from it") =>
        Identity.TryNormalize(persona, out var normalized, out var conflict)
            ? normalized!
            : throw new TavusApiException(null, $"{where}: {conflict!.Describe(Identity.Kind)}; {consequence}");

    private static KindIdentity Identity => PersonaKind.Identity;

    /// <summary>Where the persona kind lives and how its lists are wrapped: read from its descriptor, not hard-wired.</summary>
    private static KindApi Api => PersonaKind.Api;

    /// <summary>One persona, or null when Tavus says the id is unknown (400 Invalid persona_id, or 404).</summary>
    public async Task<JsonObject?> GetPersonaAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            var body = await SendForJsonAsync(HttpMethod.Get, $"{Api.CollectionPath}/{Uri.EscapeDataString(id)}", null, cancellationToken);

            // Documented as {"data": [persona]}, observed bare: accept both.
            return body switch
            {
                JsonObject { Count: 1 } wrapper when wrapper[Api.ItemsField] is JsonArray { Count: 1 } data && data[0] is JsonObject inner => Normalize(inner, $"GET {Api.CollectionPath}/{id}"),
                JsonObject persona => Normalize(persona, $"GET {Api.CollectionPath}/{id}"),
                _ => throw new TavusApiException(null, $"persona {id} came back as something other than a JSON object"),
            };
        }
        catch (TavusApiException ex) when (IsUnknownId(ex))
        {
            return null;
        }
    }

    /// <summary>
    /// Creates a persona. When the outcome is unknown (the connection dropped, the attempt timed out, or a 5xx
    /// after the request may have been stored), it is never blindly sent again: the account is listed first,
    /// and a persona with this name that was not among <paramref name="knownIds"/> is taken as this creation.
    /// </summary>
    public async Task<CreatedPersona> CreatePersonaAsync(JsonObject body, IReadOnlySet<string> knownIds, CancellationToken cancellationToken = default)
    {
        var name = Identity.Name(body);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var created = await SendForJsonAsync(HttpMethod.Post, Api.CollectionPath, body, cancellationToken);
                return (created is JsonObject answer ? Identity.Id(Normalize(answer, $"POST {Api.CollectionPath}", "the persona may have been created: run plan to see the account")) : null) is { } id
                    ? new CreatedPersona(id, attempt > 0)
                    : throw new TavusApiException(null, "Tavus created a persona but its answer has no persona_id");
            }
            catch (Exception ex) when (IsUnknownOutcome(ex) && attempt < connection.MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                Log.UnknownCreateOutcome(_logger, name ?? "(unnamed)", ex.Message);
                if (name is null)
                {
                    throw new TavusApiException(null, "a create without persona_name was interrupted and cannot be confirmed safely; check the account and give the persona a persona_name.", ex);
                }

                if (await FindCreatedAsync(name, knownIds, cancellationToken) is { } id)
                {
                    return new CreatedPersona(id, RecoveredAfterUnknownOutcome: true);
                }

                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// After a create with an unknown outcome: the id of the one new persona named <paramref name="name"/>, or
    /// null once a complete listing shows there is none (so creating again cannot duplicate it). A listing
    /// that changed while it was read (other creates in flight) proves presence but not absence: read again.
    /// </summary>
    private async Task<string?> FindCreatedAsync(string name, IReadOnlySet<string> knownIds, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var listing = await ReadListingAsync(cancellationToken);
            var matches = listing.Personas
                .Where(p => Identity.Id(p) is { } id && !knownIds.Contains(id) && Identity.Name(p) == name)
                .ToArray();
            if (matches.Length > 1)
            {
                throw new TavusApiException(null, $"after an interrupted create, {matches.Length} personas named '{name}' exist ({string.Join(", ", matches.Select(Identity.Id))}); pin the right one with metadata.id and delete the others.");
            }

            if (matches.Length == 1)
            {
                return Identity.Id(matches[0]);
            }

            if (listing.Problem is null)
            {
                return null;
            }

            if (attempt >= connection.MaxRetries)
            {
                throw new TavusApiException(null, $"creating '{name}' was interrupted, and whether it was stored could not be confirmed ({listing.Problem}); it was not sent again, so it cannot be duplicated. Run apply again: the next plan finds it by name if it exists.");
            }

            await Task.Delay(Backoff(attempt), cancellationToken);
        }
    }

    /// <summary>
    /// Sends one JSON Patch; 304 is success with nothing changed; 409 maker_changes is reported as such. What
    /// the answer's body says is returned for the caller to judge, never trusted by its status alone.
    /// </summary>
    public async Task<PatchOutcome> PatchPersonaAsync(string id, JsonPatchDocument patch, bool force, CancellationToken cancellationToken = default)
    {
        var path = $"{Api.CollectionPath}/{Uri.EscapeDataString(id)}" + (force ? "?force=true" : "");
        try
        {
            using var response = await SendAsync(HttpMethod.Patch, path, patch.ToJson(), cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return new PatchOutcome(NotModified: true, null);
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return new PatchOutcome(NotModified: false, AnsweredPersona(text, id));
        }
        catch (TavusApiException ex) when (ex.Status == 409)
        {
            throw new MakerChangesException(id);
        }
    }

    /// <summary>
    /// The persona <paramref name="id"/> an answer's body holds (bare or as <c>{"data": [persona]}</c>), or
    /// null: an empty body, not JSON, another shape, another persona, or one whose two names of a field
    /// disagree. The change was already answered with success, so a body that proves nothing is no error:
    /// the caller reads the persona back.
    /// </summary>
    private static JsonObject? AnsweredPersona(string text, string id)
    {
        if (text.Length == 0)
        {
            return null;
        }

        JsonNode? body;
        try
        {
            body = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }

        var persona = body is JsonObject { Count: 1 } wrapper && wrapper[Api.ItemsField] is JsonArray { Count: 1 } data && data[0] is JsonObject inner ? inner : body as JsonObject;
        return persona is not null && Identity.TryNormalize(persona, out var normalized, out _) && Identity.Id(normalized!) == id ? normalized : null;
    }

    /// <summary>Deletes a persona; false when it was already gone.</summary>
    public async Task<bool> DeletePersonaAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Delete, $"{Api.CollectionPath}/{Uri.EscapeDataString(id)}", null, cancellationToken);
            return true;
        }
        catch (TavusApiException ex) when (IsUnknownId(ex))
        {
            return false;
        }
    }

    private static bool IsUnknownId(TavusApiException ex) =>
        ex.Status == 404 || (ex.Status == 400 && ex.Message.Contains("Invalid persona_id", StringComparison.Ordinal));

    private static bool IsUnknownOutcome(Exception ex) =>
        ex is HttpRequestException or TimeoutRejectedException or TaskCanceledException { InnerException: TimeoutException }
        || (ex is TavusApiException { Status: >= 500 } api && api.InnerException is null)
        || (ex is TavusApiException { Status: null, InnerException: HttpRequestException or TimeoutRejectedException });

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(connection.MaxDelay.TotalMilliseconds, connection.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt)) * (0.5 + Random.Shared.NextDouble() / 2));

    private async Task<JsonNode?> SendForJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(method, path, body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (text.Length == 0)
        {
            throw new TavusApiException((int)response.StatusCode, $"{method} {PathOnly(path)} answered {(int)response.StatusCode} with an empty body where JSON was expected");
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw new TavusApiException((int)response.StatusCode, $"{method} {PathOnly(path)} answered {(int)response.StatusCode} with a body that is not JSON ({response.Content.Headers.ContentType?.MediaType ?? "no content type"})");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new TavusApiException(null, $"{method} {PathOnly(path)} failed: {Describe(ex)}", ex);
        }

        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var message = ErrorMessage(connection.RedactServerText(text));
            var hint = status switch
            {
                401 => " Check that TAVUS_API_KEY holds a valid key for this account.",
                429 => " Tavus is rate-limiting; retries were exhausted. Try again later or lower --parallelism.",
                >= 300 and < 400 => $" PersonaOps does not follow redirects (to {response.Headers.Location?.Host ?? "elsewhere"}), so the API key never leaves for another host; check TAVUS_API_URL.",
                _ => "",
            };
            throw new TavusApiException(status, $"{method} {PathOnly(path)} answered {status} {response.ReasonPhrase}{(message is null ? "" : $": {message}")}.{hint}");
        }
    }

    private static string PathOnly(string path) => path.Split('?')[0];

    private static string Describe(Exception ex) => ex switch
    {
        TimeoutRejectedException => "no answer within the attempt timeout",
        TaskCanceledException => "no answer within the timeout",
        HttpRequestException { InnerException: { } inner } http => $"{http.Message} ({inner.Message})",
        _ => ex.Message,
    };

    /// <summary>
    /// Tavus uses <c>message</c> or <c>error</c> depending on the status; read either. The text given is
    /// already redacted (<see cref="TavusConnection.RedactServerText"/>), so the cut cannot split a secret.
    /// </summary>
    private static string? ErrorMessage(string text)
    {
        try
        {
            var node = JsonNode.Parse(text);
            var value = node?["message"] ?? node?["error"];
            var message = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString();
            return message is null ? null : message.Length > 300 ? message[..300] + "…" : message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "creating '{Name}' had an unknown outcome ({Reason}); listing the account before trying again, so it is never created twice")]
        public static partial void UnknownCreateOutcome(ILogger logger, string name, string reason);
    }
}
