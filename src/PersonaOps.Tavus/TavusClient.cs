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
    /// list changed while it was read, or the pages and total_count disagree); the personas seen are
    /// returned either way, because seeing a persona proves it exists even when absence cannot be.
    /// <para>
    /// The listing is bounded by what its pages prove, not by what total_count claims. The pages total_count
    /// announces after the first are fetched in parallel (at most <see cref="TavusConnection.ListParallelism"/>
    /// at once), and a short or empty page ends the list: no page after it is asked for. A full last page is
    /// confirmed by asking for the next, which must be empty. A full page that only repeats personas already
    /// listed means the server ignores <c>page</c>: an error, not an endless loop. So an honest account of N
    /// personas takes ceil(N / PageSize) requests (one more when N is a multiple of it), and a lying one at
    /// most ListParallelism more than its data supports.
    /// </para>
    /// </summary>
    private async Task<Listing> ReadListingAsync(CancellationToken cancellationToken)
    {
        var size = connection.PageSize;
        var first = await GetPageAsync(1, size, cancellationToken);
        var pages = new ConcurrentDictionary<int, Page> { [1] = first };
        var seen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var problems = new ConcurrentBag<(int Page, string Message)>();
        var end = int.MaxValue; // the first page known to be the last (short or empty), or one that stopped the listing

        void Record(int number, Page page)
        {
            pages[number] = page;
            if (page.Total != first.Total)
            {
                problems.Add((number, $"the persona list changed while it was read (total_count {first.Total} on page 1, {page.Total} on page {number})"));
            }

            var repeated = page.Ids.Where(id => !seen.TryAdd(id, number)).ToArray();
            if (repeated.Length > 0)
            {
                // A full page of nothing but personas already listed: the server answers every page alike. (A few
                // repeats are a list that changed while it was read, and reading it again may help.)
                if (repeated.Length == page.Ids.Count && page.Ids.Count == size)
                {
                    throw new TavusApiException(null, $"GET {Api.CollectionPath}: page {number} repeats the personas of an earlier page ({repeated[0]}, ...): the server ignores 'page', so the list cannot be read whole; nothing was planned from it");
                }

                problems.Add((number, $"the persona list changed while it was read (page {number} repeats {repeated.Length} persona(s) of another page)"));
            }

            if (page.Items.Count < size)
            {
                InterlockedMin(ref end, number);
            }
        }

        Record(1, first);
        var announced = (int)Math.Min(int.MaxValue - 1, Math.Max(1, (first.Total + size - 1) / size));
        if (Volatile.Read(ref end) > 1 && announced > 1)
        {
            // Pages are taken lazily, so none is even enumerated past the end once a short page is seen.
            IEnumerable<int> Remaining()
            {
                for (var number = 2; number <= announced && number <= Volatile.Read(ref end); number++)
                {
                    yield return number;
                }
            }

            await Parallel.ForEachAsync(Remaining(),
                new ParallelOptions { MaxDegreeOfParallelism = connection.ListParallelism, CancellationToken = cancellationToken },
                async (number, token) =>
                {
                    if (number > Volatile.Read(ref end))
                    {
                        return; // a page before it was the last: nothing more to ask for
                    }

                    Record(number, await GetPageAsync(number, size, token));
                });
        }

        var last = Math.Min(Volatile.Read(ref end), announced);
        if (Volatile.Read(ref end) == int.MaxValue)
        {
            // Every announced page was full: the one after must be empty, or total_count understated the list.
            var after = await GetPageAsync(announced + 1, size, cancellationToken);
            Record(announced + 1, after);
            if (after.Items.Count > 0)
            {
                problems.Add((announced + 1, $"the persona list is incomplete: total_count is {first.Total} but page {announced + 1} holds more personas"));
            }
        }

        var personas = new List<JsonObject>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var page in pages.Where(p => p.Key <= last).OrderBy(p => p.Key))
        {
            foreach (var persona in page.Value.Items)
            {
                if (ids.Add(Identity.Id(persona)!))
                {
                    personas.Add(persona);
                }
            }
        }

        foreach (var page in pages.Where(p => p.Key > last && p.Key <= announced && p.Value.Items.Count > 0))
        {
            problems.Add((page.Key, $"the persona list changed while it was read (page {last} was its last, but page {page.Key} holds personas)"));
        }

        var lastCount = pages[last].Items.Count;
        var held = ((long)last - 1) * size + lastCount;
        var problem = problems.OrderBy(p => p.Page).ThenBy(p => p.Message, StringComparer.Ordinal).Select(p => p.Message).FirstOrDefault()
            ?? (lastCount < size && first.Total != held
                ? $"the persona list is incomplete: total_count is {first.Total} but the list ends at page {last} with {held} persona{(held == 1 ? "" : "s")}"
                : ids.Count != first.Total ? $"the persona list is incomplete: total_count is {first.Total} but {ids.Count} distinct personas came back over {last} page(s)" : null);
        return new Listing(personas, problem);
    }

    private static void InterlockedMin(ref int location, int value)
    {
        var current = Volatile.Read(ref location);
        while (value < current)
        {
            var previous = Interlocked.CompareExchange(ref location, value, current);
            if (previous == current)
            {
                return;
            }

            current = previous;
        }
    }

    private sealed record Listing(IReadOnlyList<JsonObject> Personas, string? Problem);

    /// <summary>One page of the list: its personas (each with a string id), their ids, and the total_count it gave.</summary>
    private sealed record Page(IReadOnlyList<JsonObject> Items, IReadOnlyList<string> Ids, long Total);

    private async Task<Page> GetPageAsync(int page, int size, CancellationToken cancellationToken)
    {
        var where = $"GET {Api.CollectionPath} (page {page})";
        var body = await SendForJsonAsync(HttpMethod.Get, $"{Api.CollectionPath}?{(Api.ListQuery.Length > 0 ? Api.ListQuery + "&" : "")}limit={size}&page={page + Api.FirstPage - 1}", null, cancellationToken)
            ?? throw new TavusApiException(null, $"page {page} of the persona list came back empty");
        if (body[Api.ItemsField] is not JsonArray data || body[Api.TotalField] is not JsonValue total || !total.TryGetValue<long>(out var count))
        {
            throw new TavusApiException(null, $"{where} answered with something other than the documented {{\"{Api.ItemsField}\": [...], \"{Api.TotalField}\": N}}");
        }

        if (count < 0)
        {
            throw new TavusApiException(null, $"{where} answered {Api.TotalField} {count}, which no list has; nothing was planned from it");
        }

        if (data.Count > size)
        {
            throw new TavusApiException(null, $"{where} answered {data.Count} personas where limit={size} was asked for: the server ignores 'limit', so its pages cannot be read whole; nothing was planned from it");
        }

        var items = new JsonObject[data.Count];
        var ids = new string[data.Count];
        for (var i = 0; i < data.Count; i++)
        {
            items[i] = data[i] is JsonObject item
                ? Normalize(item, where)
                : throw new TavusApiException(null, $"{where}: item {i + 1} of page {page} is not a persona object; nothing was planned from it");
            ids[i] = Identity.Id(items[i]) switch
            {
                { Length: > 0 } id when IsPersonaId(id) => id,
                { Length: > 0 } id => throw new TavusApiException(null, $"{where}: item {i + 1} of page {page} has a {Identity.IdField} ('{Clip(id)}') that is not a persona id (letters, digits, '-' and '_'), so it cannot be addressed; nothing was planned from it"),
                _ => throw new TavusApiException(null, $"{where}: item {i + 1} of page {page} has no {Identity.IdField} (a string), so it cannot be matched to a manifest; nothing was planned from it"),
            };
        }

        return new Page(items, ids, count);
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
        var where = $"GET {Api.CollectionPath}/{id}";
        try
        {
            var body = await SendForJsonAsync(HttpMethod.Get, PersonaPath(id), null, cancellationToken);

            // Documented as {"data": [persona]}, observed bare; {"data": persona} is read too.
            var persona = Normalize(OnePersona(body, out var why) ?? throw new TavusApiException(null, $"{where} answered {why}, not persona {id}"), where);
            return Identity.Id(persona) == id
                ? persona
                : throw new TavusApiException(null, $"{where} answered {(Identity.Id(persona) is { } other ? $"persona {other}" : $"an object without {Identity.IdField}")}, not persona {id}; nothing was read from it");
        }
        catch (TavusApiException ex) when (IsUnknownId(ex))
        {
            return null;
        }
    }

    /// <summary>
    /// The path of one persona. Only a persona id (letters, digits, '-' and '_', as metadata.id) is put in a
    /// path: '..' or '?' from a listing or a command line would address another resource, so it is refused
    /// before anything is sent.
    /// </summary>
    private static string PersonaPath(string id) =>
        IsPersonaId(id) ? $"{Api.CollectionPath}/{id}" : throw new TavusApiException(null, $"'{Clip(id)}' is not a persona id (letters, digits, '-' and '_'); nothing was sent for it.");

    private static bool IsPersonaId(string? id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_');

    private static string Clip(string text) => text.Length > 40 ? text[..40] + "…" : text;

    /// <summary>
    /// The one persona an answer's body holds: bare, as <c>{"data": [persona]}</c> or as <c>{"data": persona}</c>;
    /// otherwise null, and <paramref name="why"/> says what the body held instead.
    /// </summary>
    private static JsonObject? OnePersona(JsonNode? body, out string why)
    {
        why = "";
        if (body is not JsonObject obj)
        {
            why = "something other than a JSON object";
            return null;
        }

        if (!obj.ContainsKey(Api.ItemsField) || obj.ContainsKey(Identity.IdField))
        {
            return obj;
        }

        switch (obj[Api.ItemsField])
        {
            case JsonObject inner:
                return inner;
            case JsonArray { Count: 1 } data when data[0] is JsonObject inner:
                return inner;
            case JsonArray { Count: 0 }:
                why = $"{{\"{Api.ItemsField}\": []}}: no persona";
                return null;
            case JsonArray data when data.Count > 1:
                why = $"{data.Count} personas";
                return null;
            default:
                why = $"a \"{Api.ItemsField}\" that is not a persona";
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
        var path = PersonaPath(id) + (force ? "?force=true" : "");
        try
        {
            using var response = await SendAsync(HttpMethod.Patch, path, patch.ToJson(), cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return new PatchOutcome(NotModified: true, null);
            }

            var json = await Utf8Async(response.Content, cancellationToken);
            return new PatchOutcome(NotModified: false, json.Count == 0 ? null : AnsweredPersona(ParseBounded(json, out _), id));
        }
        catch (TavusApiException ex) when (ex.Status == 409)
        {
            throw new MakerChangesException(id);
        }
        catch (TavusApiException ex) when (ex.InnerException is ResponseTooLargeException)
        {
            // Accepted, with a body too large to read: it proves nothing, so the caller reads the persona back.
            return new PatchOutcome(NotModified: false, null);
        }
    }

    /// <summary>
    /// The persona <paramref name="id"/> an answer's body holds (bare, or as <c>{"data": [persona]}</c> or <c>{"data": persona}</c>), or
    /// null: an empty body, not JSON, another shape, another persona, or one whose two names of a field
    /// disagree. The change was already answered with success, so a body that proves nothing is no error:
    /// the caller reads the persona back.
    /// </summary>
    private static JsonObject? AnsweredPersona(JsonNode? body, string id)
    {
        var persona = OnePersona(body, out _);
        return persona is not null && Identity.TryNormalize(persona, out var normalized, out _) && Identity.Id(normalized!) == id ? normalized : null;
    }

    /// <summary>Deletes a persona; false when it was already gone.</summary>
    public async Task<bool> DeletePersonaAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Delete, PersonaPath(id), null, cancellationToken);
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
        var status = (int)response.StatusCode;
        var json = await Utf8Async(response.Content, cancellationToken);
        if (json.Count == 0)
        {
            throw new TavusApiException(status, $"{method} {PathOnly(path)} answered {status} with an empty body where JSON was expected");
        }

        return ParseBounded(json, out var problem, out var defect)
            ?? throw new TavusApiException(status, problem switch
            {
                Problem.TooManyValues => $"{method} {PathOnly(path)} answered {status} with more than {connection.MaxJsonValues} JSON values, the most PersonaOps reads from one answer; nothing was read from it.",
                Problem.Defect => $"{method} {PathOnly(path)} answered {status} with {defect}; nothing was read from it.",
                _ => $"{method} {PathOnly(path)} answered {status} with a body that is not JSON ({response.Content.Headers.ContentType?.MediaType ?? "no content type"})",
            });
    }

    private enum Problem
    {
        None,
        NotJson,
        TooManyValues,
        Defect,
    }

    /// <summary>The body as UTF-8 JSON: the bytes read (no copy), or, for a body in another charset, re-encoded.</summary>
    private static async Task<ArraySegment<byte>> Utf8Async(HttpContent content, CancellationToken cancellationToken)
    {
        var charset = content.Headers.ContentType?.CharSet?.Trim('"');
        if (charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            var bytes = content is BoundedContent bounded ? bounded.Bytes : new ArraySegment<byte>(await content.ReadAsByteArrayAsync(cancellationToken));
            return bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes[3..] : bytes;
        }

        return Encoding.UTF8.GetBytes(await content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>
    /// The JSON document in <paramref name="json"/>, or null (<paramref name="problem"/> says why, and
    /// <paramref name="defect"/> what): it is scanned first, without building anything, and a document of
    /// more than <see cref="TavusConnection.MaxJsonValues"/>, or one holding a key twice in an object or text
    /// that is not Unicode, is never built (either would fail later, wherever it happened to be read).
    /// </summary>
    private JsonNode? ParseBounded(ArraySegment<byte> json, out Problem problem) => ParseBounded(json, out problem, out _);

    private JsonNode? ParseBounded(ArraySegment<byte> json, out Problem problem, out string? defect)
    {
        problem = Problem.None;
        defect = null;
        try
        {
            if (JsonDefects.Find(json, connection.MaxJsonValues) is { } found)
            {
                problem = found.Kind == JsonDefectKind.TooManyValues ? Problem.TooManyValues : Problem.Defect;
                defect = found.Description;
                return null;
            }

            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            problem = Problem.NotJson;
            return null;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        // Relative to the root, so a base path in the API URL is kept (an absolute path would drop it).
        using var request = new HttpRequestMessage(method, new Uri(connection.Root, path.TrimStart('/')));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            // The body was read, bounded, inside the pipeline (BoundedResponseHandler): nothing to buffer here.
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (ResponseTooLargeException ex)
        {
            throw new TavusApiException(ex.Status, $"{method} {PathOnly(path)} {ex.Message}; nothing was read from it.", ex);
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
            var redacted = connection.RedactServerText(text);
            var message = ErrorMessage(redacted)
                ?? (response.Content.Headers.ContentType?.MediaType == "text/plain" ? OneLine(redacted) : null);
            var hint = status switch
            {
                401 => " Check that TAVUS_API_KEY holds a valid key for this account.",
                404 when PathOnly(path) == Api.CollectionPath =>
                    $" The list of personas always exists, so the API URL is wrong: the request went to {new Uri(connection.Root, PathOnly(path).TrimStart('/')).GetLeftPart(UriPartial.Path)}. Check TAVUS_API_URL (or --api-url); a base path in it is kept.",
                429 when TavusServices.RetryAfter(response) is { } wait && wait > connection.MaxDelay =>
                    $" Tavus asked to wait {Seconds(wait)} s before trying again (Retry-After), longer than the {Seconds(connection.MaxDelay)} s PersonaOps waits at most, so it was not retried. Try again later.",
                429 => " Tavus is rate-limiting; retries were exhausted. Try again later or lower --parallelism.",
                >= 300 and < 400 => $" PersonaOps does not follow redirects (to {response.Headers.Location?.Host ?? "elsewhere"}), so the API key never leaves for another host; check TAVUS_API_URL.",
                _ => "",
            };
            // The standard phrase for the status, not the server's: that text is neither checked nor redacted.
            using var standard = new HttpResponseMessage(response.StatusCode);
            var phrase = standard.ReasonPhrase is { Length: > 0 } known ? " " + known : "";
            throw new TavusApiException(status, $"{method} {PathOnly(path)} answered {status}{phrase}{(message is null ? "" : $": {message}")}.{hint}");
        }
    }

    private static string PathOnly(string path) => path.Split('?')[0];

    private string Describe(Exception ex) => ex switch
    {
        TimeoutRejectedException => $"no complete answer within the attempt timeout ({Seconds(connection.AttemptTimeout)} s, --timeout)",
        TaskCanceledException => "no answer within the timeout",
        HttpRequestException { InnerException: { } inner } http => $"{http.Message} ({inner.Message})",
        _ => ex.Message,
    };

    private static string Seconds(TimeSpan time) => Math.Round(time.TotalSeconds, 3).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The longest reason shown from an error answer; the text is redacted before it is cut.</summary>
    private const int ReasonLength = 300;

    private static readonly string[] SummaryKeys = ["message", "error", "msg"];

    private static readonly string[] DetailKeys = ["detail", "errors"];

    private static readonly string[] TitleKeys = ["title"];

    private static readonly char[] LineBreaks = ['\r', '\n', '\t'];

    /// <summary>
    /// Why the server refused, from wherever its body says it: <c>message</c>, <c>error</c> (a string, or an
    /// object with a message), <c>detail</c> (a string, or FastAPI's list of <c>{loc, msg}</c>), or
    /// <c>errors</c> (a list of strings or objects, or an object of field: messages). The text given is
    /// already redacted (<see cref="TavusConnection.RedactServerText"/>), so the cut cannot split a secret.
    /// </summary>
    private static string? ErrorMessage(string text)
    {
        JsonNode? node;
        try
        {
            // A reason is read only from a body that holds no defect (a key twice, text that is not Unicode).
            node = JsonDefects.Find(Encoding.UTF8.GetBytes(text)) is null ? JsonNode.Parse(text) : null;
        }
        catch (JsonException)
        {
            return null;
        }

        if (node is not JsonObject body)
        {
            return null;
        }

        string? First(string[] keys) => keys.Select(key => Reason(body[key], 0)).FirstOrDefault(reason => !string.IsNullOrWhiteSpace(reason));
        var summary = First(SummaryKeys);
        var details = First(DetailKeys);
        var message = summary is not null && details is not null && summary != details ? $"{summary}: {details}" : summary ?? details ?? First(TitleKeys);
        if (message is null)
        {
            return null;
        }

        return OneLine(message);
    }

    /// <summary>Redacted server text as one line of at most <see cref="ReasonLength"/> characters, or null when blank.</summary>
    private static string? OneLine(string text)
    {
        var line = string.Join(' ', text.Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Trim();
        return line.Length == 0 ? null : line.Length > ReasonLength ? line[..ReasonLength] + "…" : line;
    }

    /// <summary>The text of one reason node, at most a few levels deep; null when it holds none.</summary>
    private static string? Reason(JsonNode? node, int depth)
    {
        if (depth > 4)
        {
            return null;
        }

        switch (node)
        {
            case null:
                return null;
            case JsonValue value:
                return value.TryGetValue<string>(out var s) ? s : value.ToJsonString();
            case JsonArray list:
                return Joined(list.Take(20).Select(item => Reason(item, depth + 1)), "; ");
            case JsonObject obj:
                var text = Reason(obj["message"] ?? obj["msg"] ?? obj["detail"] ?? obj["error"] ?? obj["description"], depth + 1);
                var at = obj["loc"] is JsonArray loc
                    ? string.Join('.', loc.Select(part => part is JsonValue v && v.TryGetValue<string>(out var name) ? name : part?.ToJsonString()).Where(part => part is not null).SkipWhile(part => part is "body" or "query" or "path"))
                    : Reason(obj["field"] ?? obj["path"] ?? obj["pointer"], depth + 1);
                if (text is not null)
                {
                    return string.IsNullOrEmpty(at) ? text : $"{at}: {text}";
                }

                // An object of field: messages ({"persona_name": ["is taken"]}).
                return Joined(obj.Take(20).Select(pair => Reason(pair.Value, depth + 1) is { } r ? $"{pair.Key}: {(pair.Value is JsonArray ? r.Replace("; ", ", ", StringComparison.Ordinal) : r)}" : null), "; ");
            default:
                return null;
        }
    }

    private static string? Joined(IEnumerable<string?> parts, string separator)
    {
        var texts = parts.Where(p => !string.IsNullOrWhiteSpace(p)).ToArray();
        return texts.Length == 0 ? null : string.Join(separator, texts);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "creating '{Name}' had an unknown outcome ({Reason}); listing the account before trying again, so it is never created twice")]
        public static partial void UnknownCreateOutcome(ILogger logger, string name, string reason);
    }
}
